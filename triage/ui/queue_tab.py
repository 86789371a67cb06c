"""The Queue tab: tickets from helpdesk webhooks and the API, by SLA due time; open one, edit,
resolve through the same feedback path as the Triage tab."""
from __future__ import annotations

import gradio as gr

from triage.queue_view import QUEUE_HEADERS, queue_rows
from triage.knowledge import NO_SECONDARY
from triage.schema import URGENCIES
from triage.ui.context import UIContext, label_inputs


class QueueView:
    """The Queue tab's actions: list, open one ticket, resolve it through the feedback path."""

    def __init__(self, ctx: UIContext):
        self.ctx, self.store = ctx, ctx.store

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
        return (row["masked_text"], r, draft, c["primary_category"], c.get("secondary_category") or NO_SECONDARY,
                c["urgency"], c["sentiment"], c["escalation_risk"],
                {"category": c["primary_category"], "secondary_category": c.get("secondary_category"),
                 "urgency": c["urgency"], "sentiment": c["sentiment"], "escalation": c["escalation_risk"]})

    def resolve(self, ticket_id, masked, category, secondary, urgency, sentiment, escalation, reply, prediction,
                result, request: gr.Request):
        if ticket_id in (None, "") or self.store.get(int(ticket_id)) is None:
            raise gr.Error("Open a ticket from the queue first.")
        status = self.ctx.resolve(masked, category, secondary, urgency, sentiment, escalation, reply, prediction, result)
        self.store.set_status(int(ticket_id), "resolved", resolved_by=getattr(request, "username", None) or "agent")
        return status


def build(ctx: UIContext) -> None:
    view, routing_config = QueueView(ctx), ctx.triager.routing_config
    teams = ["All", *sorted({t for rule in routing_config.teams.values() for t in (rule.team, rule.escalation_team)}),
             routing_config.review.queue]
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
        category, secondary, urgency, sentiment, escalation = label_inputs()
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
