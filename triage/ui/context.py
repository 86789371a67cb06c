"""What every tab shares: the triager (or the one loading in the background), the ticket store
and the knowledge-base writer."""
from __future__ import annotations

from dataclasses import dataclass, field

import gradio as gr

from triage.knowledge import KnowledgeBaseNotLoaded, KnowledgeWriter
from triage.schema import CATEGORIES, SENTIMENTS, URGENCIES, EmptyTicketError


@dataclass
class UIContext:
    triager: object  # a Triager, or a TriagerInBackground while the models load
    store: object = None  # triage.ticket_store.TicketStore: tickets from helpdesk webhooks and the API
    knowledge: KnowledgeWriter = field(init=False)

    def __post_init__(self):
        self.knowledge = KnowledgeWriter(self.triager)

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

    def resolve(self, masked_text, category, secondary, urgency, sentiment, escalation, reply, prediction,
                result_json) -> str:
        """The feedback path shared by the Triage and Queue tabs: store the final labels and reply."""
        if not masked_text:
            raise gr.Error("Triage a ticket first.")
        labels = {"category": category, "secondary_category": secondary, "urgency": urgency,
                  "sentiment": sentiment, "escalation": escalation}
        try:
            ticket_id = self.knowledge.resolve(masked_text, labels, reply, prediction,
                                               (result_json or {}).get("language", "unknown"))
        except (KnowledgeBaseNotLoaded, ValueError) as exc:
            raise gr.Error(str(exc))
        return self.knowledge.status(f"Stored {ticket_id}.")

    def add(self, text, category, urgency, sentiment, escalation, resolution) -> str:
        labels = {"category": category, "urgency": urgency, "sentiment": sentiment, "escalation": escalation}
        try:
            ticket_id = self.knowledge.add(text, labels, resolution)
        except (KnowledgeBaseNotLoaded, EmptyTicketError) as exc:
            raise gr.Error(str(exc))
        return self.knowledge.status(f"Added {ticket_id}.")


def label_inputs():
    """The correction row shared by the Triage tab's feedback and the Queue tab: category,
    secondary, urgency, sentiment, escalation."""
    with gr.Row():
        return (gr.Dropdown(list(CATEGORIES), label="Category"),
                gr.Dropdown(["none", *CATEGORIES], label="Secondary", value="none"),
                gr.Dropdown(list(URGENCIES), label="Urgency"), gr.Dropdown(list(SENTIMENTS), label="Sentiment"),
                gr.Checkbox(label="Escalation"))
