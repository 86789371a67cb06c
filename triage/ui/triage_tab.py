"""The Triage tab: paste a ticket, see every field and the draft stream in, correct and resolve."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import gradio as gr

from triage.schema import EmptyTicketError, Ticket
from triage.ui.context import UIContext, label_inputs
from triage.ui.view import DECISION_HEADERS, SIMILAR_HEADERS, TriagePanel

EXAMPLES = [
    ["Charged twice this month", "Hi, I was charged twice for my Pro subscription this month ($49 each). "
     "Please refund the duplicate. Order #48213.", "pro", 49],
    ["", "Our whole platform is down since 9am, none of our 40 agents can log in. This is the third outage "
     "this week - if it happens again we will cancel and move to a competitor.", "enterprise", 4200],
    ["Idea", "It would be great if the dashboard had a dark mode and we could export reports as PDF.",
     "free", None],
    ["Konto gesperrt", "Hallo, ich kann mich seit gestern nicht mehr anmelden, das Passwort wird nicht "
     "akzeptiert. Bitte helfen Sie mir.", "pro", 29],
    ["", "<p>Where is my order?</p><script>alert('x')</script>", "free", None],
]
TIERS = ["free", "pro", "business", "enterprise"]
STALE = "STALE: the ticket was edited after this result; press Triage for a new one."


@dataclass
class TriageOutputs:
    """The components a triage fills, named as TriagePanel's fields."""

    category: gr.Textbox
    urgency: gr.Textbox
    sentiment: gr.Textbox
    confidence: gr.Textbox
    summary: gr.Textbox
    risk: gr.Textbox
    churn: gr.Textbox
    upsell: gr.Textbox
    routing: gr.Textbox
    language: gr.Textbox
    pii: gr.Textbox
    freshness: gr.Textbox
    masked: gr.Textbox
    similar: gr.Dataframe
    decisions: gr.Dataframe
    timings: gr.Dataframe
    draft: gr.Textbox
    draft_gate: gr.Textbox
    helpdesk: gr.JSON
    result_json: gr.JSON
    fb_category: gr.Dropdown
    fb_secondary: gr.Dropdown
    fb_urgency: gr.Dropdown
    fb_sentiment: gr.Dropdown
    fb_escalation: gr.Checkbox
    prediction: gr.State


class TriageHandlers:
    def __init__(self, ctx: UIContext):
        self.ctx = ctx
        self.outputs: TriageOutputs | None = None  # set by build()

    @staticmethod
    def ticket(text, subject, tier, mrr, created) -> Ticket:
        created_at = None
        if created and str(created).strip():
            try:
                created_at = datetime.fromisoformat(str(created).strip())
            except ValueError as exc:
                raise gr.Error(f"Created time must look like 2026-11-22T09:30 ({exc}).")
        return Ticket(text=text or "", subject=subject or "", customer_tier=tier or None,
                      mrr=float(mrr) if mrr not in (None, "") else None, created_at=created_at)

    def triage(self, text, subject, tier, mrr, created):
        """Yields the result at once, then as the draft streams in, then the final result."""
        triager = self.ctx.triager
        try:
            stream = triager.stream(self.ticket(text, subject, tier, mrr, created),
                                    with_draft=triager.drafter is not None)
            result = next(stream)
        except EmptyTicketError as exc:
            raise gr.Error(str(exc))
        yield TriagePanel.from_result(result, draft_text="").updates(self.outputs)
        for item in stream:
            if isinstance(item, str):
                yield TriagePanel.from_result(result, draft_text=item).updates(self.outputs)
            else:
                result = item
                yield TriagePanel.from_result(result).updates(self.outputs)

    def triage_api(self, text: str, subject: str = "") -> dict:
        """API (gradio_client, api_name="triage"): the TriageResult as JSON, with the draft."""
        try:
            return self.ctx.triager.run(Ticket(text=text or "", subject=subject or ""),
                                        with_draft=True).model_dump(mode="json")
        except EmptyTicketError as exc:
            raise gr.Error(str(exc))


def _inputs():
    subject = gr.Textbox(label="Subject (optional)", elem_id="subject")
    text = gr.Textbox(label="Ticket", lines=9, placeholder="Paste a ticket, e-mail or chat", elem_id="ticket")
    with gr.Row():
        tier = gr.Dropdown(TIERS, label="Customer tier (scales the SLA)", value=None)
        mrr = gr.Number(label="MRR (optional)", value=None)
        created = gr.Textbox(label="Created (ISO time, optional)", placeholder="2026-11-22T09:30")
    return subject, text, tier, mrr, created


def _result_components() -> dict:
    c = {}
    with gr.Row():
        c["category"] = gr.Textbox(label="Category", interactive=False, elem_id="out-category")
        c["urgency"] = gr.Textbox(label="Urgency", interactive=False, elem_id="out-urgency")
        c["sentiment"] = gr.Textbox(label="Sentiment", interactive=False, elem_id="out-sentiment")
        c["confidence"] = gr.Textbox(label="Confidence / review", interactive=False, elem_id="out-review")
    c["summary"] = gr.Textbox(label="Summary", interactive=False, elem_id="out-summary")
    with gr.Row():
        c["risk"] = gr.Textbox(label="Escalation risk (signals)", interactive=False, elem_id="out-risk")
        c["churn"] = gr.Textbox(label="Churn risk", interactive=False)
        c["upsell"] = gr.Textbox(label="Upsell opportunity", interactive=False)
    with gr.Row():
        c["routing"] = gr.Textbox(label="Routing", interactive=False, elem_id="out-routing")
        c["language"] = gr.Textbox(label="Language", interactive=False)
        c["pii"] = gr.Textbox(label="PII found", interactive=False)
    c["draft"] = gr.Textbox(label="Reply draft (editable; review before sending)", lines=8, interactive=True,
                            elem_id="out-draft")
    c["draft_gate"] = gr.Textbox(label="Draft strategy and quality gate", interactive=False, elem_id="out-draft-gate")
    c["freshness"] = gr.Textbox(label="Result", interactive=False, elem_id="out-freshness")
    c["masked"] = gr.Textbox(label="Masked text (all the model saw)", lines=4, interactive=False, elem_id="out-masked")
    c["similar"] = gr.Dataframe(headers=SIMILAR_HEADERS, label="Similar resolved tickets", wrap=True)
    c["decisions"] = gr.Dataframe(headers=DECISION_HEADERS, label="Which layer decided each field")
    c["timings"] = gr.Dataframe(headers=["stage", "ms"], label="Per-stage timings")
    c["helpdesk"] = gr.JSON(label="Helpdesk update preview (nothing is sent)")
    c["result_json"] = gr.JSON(label="Full result", visible=False)
    return c


def build(ctx: UIContext, demo: gr.Blocks) -> None:
    handlers = TriageHandlers(ctx)
    with gr.Tab("Triage"):
        with gr.Row():
            with gr.Column(scale=1):
                subject, text, tier, mrr, created = _inputs()
                button = gr.Button("Triage", variant="primary", elem_id="triage-button")
                gr.Examples(EXAMPLES, [subject, text, tier, mrr], label="Example tickets")
            with gr.Column(scale=2):
                shown = _result_components()
        with gr.Accordion("Feedback: accept or correct, then resolve", open=True):
            feedback = dict(zip(("fb_category", "fb_secondary", "fb_urgency", "fb_sentiment", "fb_escalation"),
                                label_inputs()))
            resolve = gr.Button("Resolve (store in knowledge base)", elem_id="resolve-button")
            kb_state = gr.Textbox(label="Knowledge base", value="", interactive=False, elem_id="kb-status")
            demo.load(ctx.knowledge.status, None, kb_state)
        outputs = handlers.outputs = TriageOutputs(**shown, **feedback, prediction=gr.State({}))
        # A new submission replaces a running one; editing the ticket marks the shown result as stale.
        button.click(handlers.triage, [text, subject, tier, mrr, created], list(astuple_shallow(outputs)),
                     api_name="triage_ui", trigger_mode="always_last")
        for box in (text, subject):
            box.input(lambda: STALE, None, outputs.freshness)
        resolve.click(ctx.resolve, [outputs.masked, outputs.fb_category, outputs.fb_secondary, outputs.fb_urgency,
                                    outputs.fb_sentiment, outputs.fb_escalation, outputs.draft, outputs.prediction,
                                    outputs.result_json], kb_state, api_name="resolve")
        # The subject has a default, so API clients may send the text alone: predict("text", api_name="/triage").
        api_in, api_subject = gr.Textbox(visible=False), gr.Textbox(value="", visible=False)
        api_out = gr.JSON(visible=False)
        gr.Button(visible=False).click(handlers.triage_api, [api_in, api_subject], api_out, api_name="triage")


def astuple_shallow(outputs: TriageOutputs) -> tuple:
    """The components in field order (dataclasses.astuple would deep-copy them)."""
    return tuple(getattr(outputs, name) for name in outputs.__dataclass_fields__)
