"""The one way people write to the knowledge base: resolving a triaged ticket (the Triage tab's
feedback, the Queue tab) and adding a resolved ticket by hand (the Knowledge base tab).

Both mask the ticket and the agent's reply again before storing — the reply is the agent's own
text and an API caller may send raw text — and refresh the evidence heads in the background, so
the next similar ticket benefits."""
from __future__ import annotations

import threading

from triage.schema import CATEGORIES

NO_SECONDARY = "none"


class KnowledgeBaseNotLoaded(RuntimeError):
    pass


class KnowledgeWriter:
    def __init__(self, triager):
        """triager: a Triager, or a TriagerInBackground (its kb, prepare and refresh are used)."""
        self.triager = triager
        self._refresh_lock = threading.Lock()

    @property
    def kb(self):
        return self.triager.kb

    def resolve(self, text: str, labels: dict, reply: str, prediction: dict | None, language: str) -> str:
        """Store a triaged ticket with the agent's final labels and reply; returns the new id.
        labels: category, secondary_category ("none" or None for none), urgency, sentiment, escalation."""
        kb = self._kb()
        mask = self.triager.prepare.mask
        ticket_id = kb.add_resolved(mask(text, language), _labels(labels), resolution=mask(reply or "", language),
                                    original_prediction=prediction or {}, language=language)
        self._refresh_later()
        return ticket_id

    def add(self, text: str, labels: dict, resolution: str) -> str:
        """Store a resolved ticket typed in by hand (cleaned and masked like any ticket; an empty
        one raises EmptyTicketError); returns the new id."""
        kb = self._kb()
        cleaned, masked, _ = self.triager.prepare.clean_and_mask(text or "")
        ticket_id = kb.add_resolved(masked, _labels(labels), resolution=self.triager.prepare.mask(resolution or "",
                                                                                                  cleaned.language),
                                    language=cleaned.language)
        self._refresh_later()
        return ticket_id

    def status(self, prefix: str = "") -> str:
        if self.kb is None:
            return "Knowledge base not loaded."
        corrections = self.kb.corrections()
        changed = sum(1 for c in corrections if c.get("changed"))
        return (f"{prefix} Knowledge base: {self.kb.count()} resolved tickets; {len(corrections)} resolved from "
                f"this app, {changed} of them corrected a prediction.").strip()

    def _kb(self):
        if self.kb is None:
            raise KnowledgeBaseNotLoaded("The knowledge base is not loaded (mode llm); start with --mode hybrid "
                                         "or evidence.")
        return self.kb

    def _refresh_later(self) -> None:
        threading.Thread(target=self._refresh, daemon=True).start()

    def _refresh(self) -> None:
        with self._refresh_lock:
            self.triager.refresh()


def _labels(labels: dict) -> dict:
    out = {k: labels[k] for k in ("category", "urgency", "sentiment") if labels.get(k) is not None}
    out["escalation"] = bool(labels.get("escalation"))
    secondary = labels.get("secondary_category")
    if secondary not in (None, NO_SECONDARY):
        if secondary not in CATEGORIES:
            raise ValueError(f"unknown secondary category {secondary!r}")
        out["secondary_category"] = secondary
    elif "secondary_category" in labels:
        out["secondary_category"] = None
    return out
