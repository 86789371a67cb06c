"""Gradio app: triage, feedback, batch and knowledge base. Thin: it calls triage/ and kb/,
it re-implements nothing. Ticket text is only ever shown in text components (Textbox,
Dataframe, JSON), never rendered as Markdown or HTML."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from triage.config import get_settings  # first: the triage package forces offline mode before gradio

import gradio as gr  # noqa: E402

from triage.helpdesk import freshdesk_update, zendesk_update
from triage.batch import flat_record
from triage.datasets import load_rows
from triage.labelers import MODES
from triage.pipeline import Triager
from triage.queue_view import QUEUE_HEADERS, queue_rows
from triage.wiring import TriagerInBackground, build_preparer, build_triager, run_in_batches
from triage.schema import CATEGORIES, SENTIMENTS, URGENCIES, EmptyTicketError, Ticket

EXAMPLES = [
    ["Charged twice this month", "Hi, I was charged twice for my Pro subscription this month ($49 each). "
     "Please refund the duplicate. Order #48213.", "email", "pro", 49],
    ["", "Our whole platform is down since 9am, none of our 40 agents can log in. This is the third outage "
     "this week - if it happens again we will cancel and move to a competitor.", "chat", "enterprise", 4200],
    ["Idea", "It would be great if the dashboard had a dark mode and we could export reports as PDF.",
     "web_form", "free", None],
    ["Konto gesperrt", "Hallo, ich kann mich seit gestern nicht mehr anmelden, das Passwort wird nicht "
     "akzeptiert. Bitte helfen Sie mir.", "email", "pro", 29],
    ["", "<p>Where is my order?</p><script>alert('x')</script>", "web_form", "free", None],
]
SIMILAR_HEADERS = ["id", "similarity", "category", "urgency", "source", "ticket", "resolution"]
DECISION_HEADERS = ["field", "value", "decided by", "probability"]


def _fmt_signal(signal) -> str:
    if signal is None or not signal.present:
        return "none"
    value = f" (account value {signal.account_value:g}/month)" if signal.account_value else ""
    return "; ".join(f"{k}: \"{v}\"" for k, v in signal.triggers.items()) + value


class App:
    def __init__(self, triager: Triager, store=None):
        self.triager = triager  # a Triager, or a TriagerInBackground while the models load
        self.store = store  # triage.ticket_store.TicketStore: tickets from helpdesk webhooks and the API
        self._refresh_lock = threading.Lock()

    @property
    def kb(self):
        return self.triager.kb

    def status(self) -> str:
        """The status line (waits for the models on a page opened while they load)."""
        try:
            t = self.triager.get() if hasattr(self.triager, "get") else self.triager
        except Exception as exc:  # the models could not be loaded: say why on the page
            return f"Not ready — {type(exc).__name__}: {exc}"
        return (f"Ready — model {t.model_name}, mode {t.mode}, "
                + (f"knowledge base {t.kb.count()} tickets" if t.kb else "no knowledge base"))

    # -- triage -------------------------------------------------------------
    def _ticket(self, text, subject, channel, tier, mrr, created) -> Ticket:
        created_at = None
        if created and str(created).strip():
            try:
                created_at = datetime.fromisoformat(str(created).strip())
            except ValueError as exc:
                raise gr.Error(f"Created time must look like 2026-11-22T09:30 ({exc}).")
        return Ticket(text=text or "", subject=subject or "", channel=channel or None, customer_tier=tier or None,
                      mrr=float(mrr) if mrr not in (None, "") else None, created_at=created_at)

    def _panel(self, result, draft_text: str | None = None) -> list:
        c = result.classification
        r = result.routing
        decisions = [[name, json.dumps(d.value, ensure_ascii=False, default=str), d.source,
                      None if d.probability is None else round(d.probability, 3)] for name, d in result.decisions.items()]
        similar = [[t.id, t.similarity, t.category, t.urgency, t.source, t.text[:300], t.resolution[:300]]
                   for t in result.similar_tickets]
        timings = [[t.name, round(t.seconds * 1000, 1)] for t in result.timings]
        pii = ", ".join(f"{k}: {v}" for k, v in result.pii.counts.items()) or "none"
        review = "NEEDS HUMAN REVIEW" if c.needs_human_review else "ok to handle"
        routing = (f"{r.queue} (team {r.team}); SLA {r.sla_hours:g} h, due {r.due_at:%Y-%m-%d %H:%M %Z}"
                   + (f"; escalated: {', '.join(r.escalation_reasons)}" if r.escalated else "")) if r else ""
        draft = draft_text if draft_text is not None else (result.draft.text if result.draft else "")
        d = result.draft if draft_text is None else None
        draft_gate = (f"{d.strategy} · quality gate: {d.gate}" + (f" · facts replaced: {len(d.removed)}" if d.removed else "")
                      if d else ("writing…" if draft_text else ""))
        payloads = {"zendesk": zendesk_update(result), "freshdesk": freshdesk_update(result)}
        prediction = {"category": c.primary_category, "secondary_category": c.secondary_category,
                      "urgency": c.urgency, "sentiment": c.sentiment, "escalation": c.escalation_risk}
        return [
            c.primary_category + (f" (+ {c.secondary_category})" if c.secondary_category else ""),
            c.urgency, c.sentiment, f"{c.confidence} — {review}", c.summary,
            f"{result.risk_level}: " + (", ".join(result.escalation_signals) or "no phrase signals"),
            _fmt_signal(result.churn), _fmt_signal(result.upsell), routing, result.language, pii,
            "Result for the ticket as submitted (masked text below).",
            result.masked_text, similar, decisions, timings, draft, draft_gate,
            json.loads(json.dumps(payloads, default=str)), result.model_dump(mode="json"),
            # feedback defaults
            c.primary_category, c.secondary_category or "none", c.urgency, c.sentiment, c.escalation_risk,
            prediction,
        ]

    def triage(self, text, subject, channel, tier, mrr, created):
        try:
            ticket = self._ticket(text, subject, channel, tier, mrr, created)
            stream = self.triager.stream(ticket, with_draft=self.triager.drafter is not None)
            result = next(stream)
        except EmptyTicketError as exc:
            raise gr.Error(str(exc))
        yield self._panel(result, draft_text="")
        for item in stream:
            if isinstance(item, str):
                panel = self._panel(result, draft_text=item)
            else:
                result = item
                panel = self._panel(result)
            yield panel

    def triage_api(self, text: str, subject: str = "") -> dict:
        """API (gradio_client, api_name="triage"): the TriageResult as JSON, with the draft."""
        try:
            return self.triager.run(Ticket(text=text or "", subject=subject or ""), with_draft=True).model_dump(mode="json")
        except EmptyTicketError as exc:
            raise gr.Error(str(exc))

    # -- feedback -----------------------------------------------------------
    def resolve(self, masked_text, category, secondary, urgency, sentiment, escalation, reply, prediction, result_json):
        if self.kb is None:
            raise gr.Error("The knowledge base is not loaded (mode llm); start with --mode hybrid or evidence.")
        if not masked_text:
            raise gr.Error("Triage a ticket first.")
        labels = {"category": category, "secondary_category": None if secondary == "none" else secondary,
                  "urgency": urgency, "sentiment": sentiment, "escalation": bool(escalation)}
        language = (result_json or {}).get("language", "unknown")
        # Masked again before storing: the reply is the agent's text, and an API caller may send raw text.
        mask = self.triager.prepare.mask
        ticket_id = self.kb.add_resolved(mask(masked_text, language), labels, resolution=mask(reply, language),
                                         original_prediction=prediction or {}, language=language)
        threading.Thread(target=self._refresh, daemon=True).start()
        return self.kb_status(f"Stored {ticket_id}.")

    def _refresh(self):
        with self._refresh_lock:
            self.triager.refresh()

    def kb_status(self, prefix: str = "") -> str:
        if self.kb is None:
            return "Knowledge base not loaded."
        corrections = self.kb.corrections()
        changed = sum(1 for c in corrections if c.get("changed"))
        return (f"{prefix} Knowledge base: {self.kb.count()} resolved tickets; {len(corrections)} resolved from "
                f"this app, {changed} of them corrected a prediction.").strip()

    # -- batch ----------------------------------------------------------------
    def batch(self, file, text_cols, mode, progress=gr.Progress()):
        if file is None:
            raise gr.Error("Upload a CSV or JSONL file first.")
        cols = [c.strip() for c in (text_cols or "text").split(",") if c.strip()]
        upload = Path(file if isinstance(file, str) else file.name)
        try:
            rows, bad = load_rows(str(upload), cols)
        except (FileNotFoundError, UnicodeDecodeError, ValueError) as exc:
            raise gr.Error(f"Cannot read the file: {exc}")
        finally:
            upload.unlink(missing_ok=True)  # Gradio keeps uploads on disk: raw tickets must not stay there
        triager = self.triager if mode == self.triager.mode else self._batch_triager(mode)
        records, failures = [], []
        progress(0, desc="triaging")
        done = 0
        for chunk, results in run_in_batches(triager, rows, 32):
            for row, res in zip(chunk, results):
                if isinstance(res, Exception):
                    failures.append(f"{row.id}: {res}")
                else:
                    records.append(flat_record(row.id, res))
            done += len(chunk)
            progress(min(1.0, done / max(1, len(rows))), desc=f"{done} / {len(rows)} tickets")
        out_dir = Path(tempfile.mkdtemp(prefix="triage_batch_"))
        csv_path, jsonl_path = out_dir / "triage_results.csv", out_dir / "triage_results.jsonl"
        import pandas as pd

        frame = pd.DataFrame(records)
        frame.to_csv(csv_path, index=False)
        jsonl_path.write_text("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records), encoding="utf-8")
        note = (f"{len(records)} triaged, {len(failures)} rejected, {len(bad)} unreadable rows."
                + ("\n" + "\n".join(failures[:20] + [b.reason for b in bad[:20]]) if failures or bad else ""))
        shown = frame[[c for c in ("id", "primary_category", "urgency", "sentiment", "escalation_risk",
                                   "needs_human_review", "summary") if c in frame]] if len(frame) else frame
        return shown, [str(csv_path), str(jsonl_path)], note, *self._charts(frame)

    def _batch_triager(self, mode):
        if not hasattr(self, "_other_triagers"):
            self._other_triagers = {}
        if mode not in self._other_triagers:
            self._other_triagers[mode] = build_triager(self.triager.settings, mode=mode, kb=self.kb,
                                                       llm=self.triager.llm)
        return self._other_triagers[mode]

    @staticmethod
    def _charts(frame):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figs = []
        fig, ax = plt.subplots(figsize=(5, 3))
        if len(frame):
            table = frame.pivot_table(index="primary_category", columns="urgency", values="id", aggfunc="count", fill_value=0)
            ax.imshow(table.values, cmap="Blues")
            ax.set_xticks(range(len(table.columns)), table.columns)
            ax.set_yticks(range(len(table.index)), table.index)
            for i in range(table.shape[0]):
                for j in range(table.shape[1]):
                    ax.text(j, i, int(table.values[i, j]), ha="center", va="center")
        ax.set_title("category × urgency")
        fig.tight_layout()
        figs.append(fig)
        for column, title in (("sentiment", "sentiment"), ("escalation_risk", "escalation risk")):
            fig, ax = plt.subplots(figsize=(4, 2.6))
            if len(frame):
                frame[column].astype(str).value_counts().plot.bar(ax=ax, color="#4a7bd0")
            ax.set_title(title)
            fig.tight_layout()
            figs.append(fig)
        return figs

    # -- knowledge base -------------------------------------------------------------
    def kb_search(self, query, category):
        if self.kb is None:
            raise gr.Error("Knowledge base not loaded.")
        if not (query or "").strip():
            raise gr.Error("Type something to search for.")
        hits = self.kb.search(query, k=10, category=None if category == "any" else category)
        return [[h.id, round(h.similarity, 3), h.category, h.urgency, h.source, h.text[:300], (h.resolution or "")[:300]]
                for h in hits]

    def kb_counts(self):
        if self.kb is None:
            return [], []
        by_cat = sorted(self.kb.counts("category").items(), key=lambda kv: -kv[1])
        by_src = sorted(self.kb.counts("source").items(), key=lambda kv: -kv[1])
        return [[str(k), v] for k, v in by_cat], [[str(k), v] for k, v in by_src]

    def kb_add(self, text, category, urgency, sentiment, escalation, resolution):
        try:
            cleaned, masked, _ = self.triager.prepare.clean_and_mask(text or "")
        except EmptyTicketError as exc:
            raise gr.Error(str(exc))
        ticket_id = self.kb.add_resolved(masked, {"category": category, "urgency": urgency, "sentiment": sentiment,
                                                  "escalation": bool(escalation)},
                                         resolution=self.triager.prepare.mask(resolution, cleaned.language),
                                         language=cleaned.language)
        threading.Thread(target=self._refresh, daemon=True).start()
        return self.kb_status(f"Added {ticket_id}."), *self.kb_counts()


class QueueView:
    """The Queue tab's actions: list, open one ticket, resolve it through the feedback path."""

    def __init__(self, app: App):
        self.app, self.store = app, app.store

    def list(self, team, urgencies, review_only, escalated_only, signals_only):
        rows, counts = queue_rows(self.store, team, urgencies or (), review_only, escalated_only, signals_only)
        return rows, counts

    def open(self, ticket_id):
        row = self.store.get(int(ticket_id)) if ticket_id not in (None, "") else None
        if row is None or not row["result"]:
            raise gr.Error(f"No triaged ticket {ticket_id} in the queue.")
        r, c = row["result"], row["result"]["classification"]
        if row["status"] == "new":
            self.store.set_status(row["id"], "in review")
        draft = (r.get("draft") or {}).get("text", "")
        return (row["masked_text"], r, draft, c["primary_category"], c.get("secondary_category") or "none",
                c["urgency"], c["sentiment"], c["escalation_risk"],
                {"category": c["primary_category"], "secondary_category": c.get("secondary_category"),
                 "urgency": c["urgency"], "sentiment": c["sentiment"], "escalation": c["escalation_risk"]})

    def resolve(self, ticket_id, masked, category, secondary, urgency, sentiment, escalation, reply, prediction,
                result, request: gr.Request):
        if ticket_id in (None, "") or self.store.get(int(ticket_id)) is None:
            raise gr.Error("Open a ticket from the queue first.")
        status = self.app.resolve(masked, category, secondary, urgency, sentiment, escalation, reply, prediction, result)
        self.store.set_status(int(ticket_id), "resolved", resolved_by=getattr(request, "username", None) or "agent")
        return status


def _label_inputs():
    """The correction row shared by the Triage tab's feedback and the Queue tab: category,
    secondary, urgency, sentiment, escalation."""
    with gr.Row():
        return (gr.Dropdown(list(CATEGORIES), label="Category"),
                gr.Dropdown(["none", *CATEGORIES], label="Secondary", value="none"),
                gr.Dropdown(list(URGENCIES), label="Urgency"), gr.Dropdown(list(SENTIMENTS), label="Sentiment"),
                gr.Checkbox(label="Escalation"))


def _queue_tab(view: QueueView, triager: Triager) -> None:
    """Tickets from helpdesk webhooks and the API, by SLA due time; open one, edit, resolve."""
    teams = ["All", *sorted({t for rule in triager.routing_config.teams.values() for t in (rule.team, rule.escalation_team)}),
             triager.routing_config.review.queue]
    with gr.Tab("Queue"):
        with gr.Row():
            team = gr.Dropdown(teams, value="All", label="Team / queue")
            urgencies = gr.CheckboxGroup(list(URGENCIES), label="Urgency")
            review_only = gr.Checkbox(label="Needs review")
            escalated_only = gr.Checkbox(label="Escalated")
            signals_only = gr.Checkbox(label="Churn / upsell")
            refresh = gr.Button("Refresh", elem_id="queue-refresh")
        counts = gr.Textbox(label="Open tickets", interactive=False, elem_id="queue-counts")
        table = gr.Dataframe(headers=QUEUE_HEADERS, label="Queue (overdue first)", wrap=True, elem_id="queue-table")
        with gr.Row():
            ticket_id = gr.Number(label="Ticket id", precision=0, elem_id="queue-id")
            open_button = gr.Button("Open", elem_id="queue-open")
        masked = gr.Textbox(label="Ticket (masked)", lines=5, interactive=False, elem_id="queue-masked")
        draft = gr.Textbox(label="Reply draft (edit before sending)", lines=6, interactive=True, elem_id="queue-draft")
        category, secondary, urgency, sentiment, escalation = _label_inputs()
        resolve = gr.Button("Resolve (store in knowledge base)", variant="primary", elem_id="queue-resolve")
        status = gr.Textbox(label="Knowledge base", interactive=False, elem_id="queue-status")
        result = gr.JSON(label="Full result")
        prediction = gr.State({})
        filters = [team, urgencies, review_only, escalated_only, signals_only]
        for trigger in (refresh.click, team.change, urgencies.change, review_only.change, escalated_only.change,
                        signals_only.change):
            trigger(view.list, filters, [table, counts])
        gr.Timer(15).tick(view.list, filters, [table, counts])
        open_button.click(view.open, ticket_id, [masked, result, draft, category, secondary, urgency, sentiment,
                                                 escalation, prediction])
        resolve.click(view.resolve, [ticket_id, masked, category, secondary, urgency, sentiment, escalation, draft,
                                     prediction, result], status).then(view.list, filters, [table, counts])


def insights(app: App):
    """The Insights tab's data: corrections drift (patterns, by week, by category, a plot) and the
    Guardian (churn) / Opportunity (upsell) alert lists from the ticket store."""
    from triage.drift import alerts, drift_report, plot_weekly

    report = drift_report(app.kb.corrections() if app.kb is not None else [])
    rows = app.store.queue(limit=100_000) if app.store is not None else []
    alert_rows = lambda kind: [[a["id"], a["received_at"], a["account_value"],  # noqa: E731
                                "; ".join(f"{k}: {v}" for k, v in a["phrases"].items()), a["summary"]]
                               for a in alerts(rows, kind)]
    summary = (f"{report['resolved_with_prediction']} resolved with a prediction, {report['corrected']} corrected, "
               f"{report['added_without_prediction']} added without one.")
    confusion = [[f, c["predicted"], c["corrected"], c["count"]] for f, cells in report["confusion"].items() for c in cells]
    return (summary, [[p["field"], p["predicted"], p["corrected"], p["count"]] for p in report["patterns"]], confusion,
            [[w, v["corrected"], v["resolved"], v["rate"]] for w, v in report["by_week"].items()],
            [[c, v["corrected"], v["resolved"], v["rate"]] for c, v in report["by_category"].items()],
            plot_weekly(report) if report["by_week"] else None, alert_rows("churn"), alert_rows("upsell"))


def _insights_tab(app: App) -> None:
    with gr.Tab("Insights"):
        refresh = gr.Button("Refresh", elem_id="insights-refresh")
        summary = gr.Textbox(label="Corrections", interactive=False, elem_id="insights-summary")
        patterns = gr.Dataframe(headers=["field", "predicted", "corrected", "count"], label="Most-corrected patterns")
        confusion = gr.Dataframe(headers=["field", "predicted", "corrected", "count"],
                                 label="Per-field confusion (every resolved ticket, corrected or not)")
        with gr.Row():
            weekly = gr.Dataframe(headers=["week", "corrected", "resolved", "rate"], label="By week")
            by_category = gr.Dataframe(headers=["category", "corrected", "resolved", "rate"], label="By category")
        plot = gr.Plot(label="Correction rate by week")
        alert_headers = ["ticket", "received", "account value", "phrases that fired", "summary"]
        guardian = gr.Dataframe(headers=alert_headers, label="Guardian: churn risk (newest first)", wrap=True)
        opportunity = gr.Dataframe(headers=alert_headers, label="Opportunity: upsell (newest first)", wrap=True)
        refresh.click(lambda: insights(app), None,
                      [summary, patterns, confusion, weekly, by_category, plot, guardian, opportunity])


def build_app(triager: Triager, store=None) -> gr.Blocks:
    app = App(triager, store)
    with gr.Blocks(title="Ticket triage (local)") as demo:
        gr.Markdown("## Local ticket triage\nEverything runs on this machine; no ticket text leaves it.")
        # Filled on each page load (the models may still be loading when the page is first up).
        status = gr.Textbox(value="Loading the models…", label="Status", interactive=False, elem_id="status")
        demo.load(app.status, None, status)
        with gr.Tab("Triage"):
            with gr.Row():
                with gr.Column(scale=1):
                    subject = gr.Textbox(label="Subject (optional)", elem_id="subject")
                    text = gr.Textbox(label="Ticket", lines=9, placeholder="Paste a ticket, e-mail or chat", elem_id="ticket")
                    with gr.Row():
                        channel = gr.Dropdown(["email", "chat", "web_form", "social", "phone"], label="Channel", value=None)
                        tier = gr.Dropdown(["free", "pro", "business", "enterprise"], label="Customer tier", value=None)
                    with gr.Row():
                        mrr = gr.Number(label="MRR (optional)", value=None)
                        created = gr.Textbox(label="Created (ISO time, optional)", placeholder="2026-11-22T09:30")
                    button = gr.Button("Triage", variant="primary", elem_id="triage-button")
                    gr.Examples(EXAMPLES, [subject, text, channel, tier, mrr], label="Example tickets")
                with gr.Column(scale=2):
                    with gr.Row():
                        category = gr.Textbox(label="Category", interactive=False, elem_id="out-category")
                        urgency = gr.Textbox(label="Urgency", interactive=False, elem_id="out-urgency")
                        sentiment = gr.Textbox(label="Sentiment", interactive=False, elem_id="out-sentiment")
                        confidence = gr.Textbox(label="Confidence / review", interactive=False, elem_id="out-review")
                    summary = gr.Textbox(label="Summary", interactive=False, elem_id="out-summary")
                    with gr.Row():
                        risk = gr.Textbox(label="Escalation risk (signals)", interactive=False, elem_id="out-risk")
                        churn = gr.Textbox(label="Churn risk", interactive=False)
                        upsell = gr.Textbox(label="Upsell opportunity", interactive=False)
                    with gr.Row():
                        routing = gr.Textbox(label="Routing", interactive=False, elem_id="out-routing")
                        language = gr.Textbox(label="Language", interactive=False)
                        pii = gr.Textbox(label="PII found", interactive=False)
                    draft = gr.Textbox(label="Reply draft (editable; review before sending)", lines=8,
                                       interactive=True, elem_id="out-draft")
                    draft_gate = gr.Textbox(label="Draft strategy and quality gate", interactive=False,
                                            elem_id="out-draft-gate")
                    freshness = gr.Textbox(label="Result", interactive=False, elem_id="out-freshness")
                    masked = gr.Textbox(label="Masked text (all the model saw)", lines=4, interactive=False,
                                        elem_id="out-masked")
                    similar = gr.Dataframe(headers=SIMILAR_HEADERS, label="Similar resolved tickets", wrap=True)
                    decisions = gr.Dataframe(headers=DECISION_HEADERS, label="Which layer decided each field")
                    timings = gr.Dataframe(headers=["stage", "ms"], label="Per-stage timings")
                    helpdesk = gr.JSON(label="Helpdesk update preview (nothing is sent)")
                    result_json = gr.JSON(label="Full result", visible=False)
            with gr.Accordion("Feedback: accept or correct, then resolve", open=True):
                fb_category, fb_secondary, fb_urgency, fb_sentiment, fb_escalation = _label_inputs()
                resolve = gr.Button("Resolve (store in knowledge base)", elem_id="resolve-button")
                kb_state = gr.Textbox(label="Knowledge base", value="", interactive=False, elem_id="kb-status")
                demo.load(app.kb_status, None, kb_state)
            prediction = gr.State({})
            outputs = [category, urgency, sentiment, confidence, summary, risk, churn, upsell, routing, language, pii,
                       freshness, masked, similar, decisions, timings, draft, draft_gate, helpdesk, result_json,
                       fb_category, fb_secondary, fb_urgency, fb_sentiment, fb_escalation, prediction]
            # A new submission replaces a running one; editing the ticket marks the shown result as stale.
            button.click(app.triage, [text, subject, channel, tier, mrr, created], outputs, api_name="triage_ui",
                         trigger_mode="always_last")
            stale = "STALE: the ticket was edited after this result; press Triage for a new one."
            for box in (text, subject):
                box.input(lambda: stale, None, freshness)
            resolve.click(app.resolve, [masked, fb_category, fb_secondary, fb_urgency, fb_sentiment, fb_escalation,
                                        draft, prediction, result_json], kb_state, api_name="resolve")
            # The subject has a default, so API clients may send the text alone: predict("text", api_name="/triage").
            api_in, api_subject = gr.Textbox(visible=False), gr.Textbox(value="", visible=False)
            api_out = gr.JSON(visible=False)
            api_button = gr.Button(visible=False)
            api_button.click(app.triage_api, [api_in, api_subject], api_out, api_name="triage")
        if store is not None:
            _queue_tab(QueueView(app), triager)
        _insights_tab(app)
        with gr.Tab("Batch"):
            upload = gr.File(label="CSV or JSONL", file_types=[".csv", ".jsonl", ".json"])
            with gr.Row():
                cols = gr.Textbox(label="Text column(s), comma-separated", value="text")
                mode = gr.Dropdown(list(MODES), value="evidence", label="Mode")
            run_batch = gr.Button("Triage file", variant="primary")
            batch_note = gr.Textbox(label="Result", interactive=False)
            batch_table = gr.Dataframe(label="Results")
            downloads = gr.File(label="Download CSV / JSONL", file_count="multiple")
            with gr.Row():
                chart1, chart2, chart3 = gr.Plot(), gr.Plot(), gr.Plot()
            run_batch.click(app.batch, [upload, cols, mode], [batch_table, downloads, batch_note, chart1, chart2, chart3])
        with gr.Tab("Knowledge base"):
            with gr.Row():
                query = gr.Textbox(label="Search resolved tickets")
                filter_category = gr.Dropdown(["any", *CATEGORIES], value="any", label="Category")
                search = gr.Button("Search")
            results = gr.Dataframe(headers=SIMILAR_HEADERS, label="Matches", wrap=True)
            search.click(app.kb_search, [query, filter_category], results)
            with gr.Row():
                by_cat = gr.Dataframe(headers=["category", "tickets"], label="By category")
                by_src = gr.Dataframe(headers=["source", "tickets"], label="By source")
            with gr.Accordion("Add a resolved ticket", open=False):
                add_text = gr.Textbox(label="Ticket", lines=4)
                with gr.Row():
                    add_cat = gr.Dropdown(list(CATEGORIES), label="Category", value="general")
                    add_urg = gr.Dropdown(list(URGENCIES), label="Urgency", value="P3")
                    add_sent = gr.Dropdown(list(SENTIMENTS), label="Sentiment", value="neutral")
                    add_esc = gr.Checkbox(label="Escalation")
                add_res = gr.Textbox(label="Resolution", lines=3)
                add_button = gr.Button("Add")
                add_status = gr.Textbox(label="Status", interactive=False)
            add_button.click(app.kb_add, [add_text, add_cat, add_urg, add_sent, add_esc, add_res], [add_status, by_cat, by_src])
            demo.load(app.kb_counts, None, [by_cat, by_src])
    return demo


def serve(triager: Triager, settings):
    """One process for the page and the helpdesk intake: the Gradio app mounted on a FastAPI app that
    also serves /webhooks/* and /api/tickets (triage.service), with the work queue's one worker."""
    from fastapi import FastAPI

    from triage.service import intake_router
    from triage.ticket_store import TicketStore
    from triage.work_queue import WorkQueue
    from triage.writeback import WriteBack

    store = TicketStore(settings.store_path)
    writeback = (WriteBack(settings.zendesk_url, settings.freshdesk_url, settings.helpdesk_token)
                 if settings.helpdesk_token and (settings.zendesk_url or settings.freshdesk_url) else None)
    work_queue = WorkQueue(store, triager, settings.queue_size, writeback=writeback).start()
    api = FastAPI(title="Ticket triage")
    # The intake only cleans and masks: it answers at once, while the models may still be loading.
    api.include_router(intake_router(store, work_queue, build_preparer(settings), settings.webhook_secret))
    user, password = os.environ.get("TRIAGE_AUTH_USER"), os.environ.get("TRIAGE_AUTH_PASSWORD")
    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    demo = build_app(triager, store).queue(default_concurrency_limit=1)
    return gr.mount_gradio_app(api, demo, path="/", auth=(user, password) if user and password else None,
                               theme=theme, footer_links=[], show_error=True)


def _stop_on_load_failure(exc: BaseException) -> None:
    """The models could not be loaded (missing model, unbuilt KB): say why and stop, as before the
    page came up early. Accepted helpdesk tickets stay queued in the store for the next start."""
    print(f"error: the models could not be loaded: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    os._exit(3)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Local support-ticket triage web app")
    parser.add_argument("--host", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 7860)")
    parser.add_argument("--model", help="GGUF path or packaged model name (env TRIAGE_MODEL)")
    parser.add_argument("--mode", choices=MODES, help="default: TRIAGE_MODE or hybrid")
    args = parser.parse_args()
    settings = get_settings(host=args.host, port=args.port, model=args.model, mode=args.mode)
    print(f"Loading models in the background (mode {settings.mode}, model {settings.model}) ...", flush=True)
    started = time.perf_counter()
    triager = TriagerInBackground(settings, on_failure=_stop_on_load_failure).start()
    triager.when_done(lambda exc: exc is None and print(f"Models loaded in {time.perf_counter() - started:.1f} s",
                                                        flush=True))
    app = serve(triager, settings)
    print(f"Ready on http://{settings.host}:{settings.port}"
          + ("" if settings.webhook_secret else " (webhooks off: set TRIAGE_WEBHOOK_SECRET)"), flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
