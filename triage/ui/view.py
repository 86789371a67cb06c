"""The Triage tab's typed view model: what a TriageResult shows, field by field. Handlers return
`panel.updates(outputs)`, a component -> value map, so nothing depends on list positions."""
from __future__ import annotations

import json
from dataclasses import dataclass, fields

from triage.helpdesk import freshdesk_update, zendesk_update
from triage.knowledge import NO_SECONDARY

SIMILAR_HEADERS = ["id", "similarity", "category", "urgency", "source", "ticket", "resolution"]
DECISION_HEADERS = ["field", "value", "decided by", "probability"]
FRESH = "Result for the ticket as submitted (masked text below)."


def fmt_signal(signal) -> str:
    if signal is None or not signal.present:
        return "none"
    value = f" (account value {signal.account_value:g}/month)" if signal.account_value else ""
    return "; ".join(f"{k}: \"{v}\"" for k, v in signal.triggers.items()) + value


def similar_rows(tickets) -> list[list]:
    return [[t.id, round(t.similarity, 3), t.category, t.urgency, t.source, t.text[:300], (t.resolution or "")[:300]]
            for t in tickets]


@dataclass
class TriagePanel:
    """One value per output component of the Triage tab (same names as TriageOutputs)."""

    category: str
    urgency: str
    sentiment: str
    confidence: str
    summary: str
    risk: str
    churn: str
    upsell: str
    routing: str
    language: str
    pii: str
    freshness: str
    masked: str
    similar: list
    decisions: list
    timings: list
    draft: str
    draft_gate: str
    helpdesk: dict
    result_json: dict
    # the feedback row starts at the prediction
    fb_category: str
    fb_secondary: str
    fb_urgency: str
    fb_sentiment: str
    fb_escalation: bool
    prediction: dict

    @classmethod
    def from_result(cls, result, draft_text: str | None = None) -> "TriagePanel":
        """draft_text: the draft streamed so far ("" before the first token); None once final."""
        c = result.classification
        review = "NEEDS HUMAN REVIEW" if c.needs_human_review else "ok to handle"
        return cls(
            category=c.primary_category + (f" (+ {c.secondary_category})" if c.secondary_category else ""),
            urgency=c.urgency, sentiment=c.sentiment, confidence=f"{c.confidence} — {review}", summary=c.summary,
            risk=f"{result.risk_level}: " + (", ".join(result.escalation_signals) or "no phrase signals"),
            churn=fmt_signal(result.churn), upsell=fmt_signal(result.upsell), routing=_routing(result.routing),
            language=result.language, pii=", ".join(f"{k}: {v}" for k, v in result.pii.counts.items()) or "none",
            freshness=FRESH, masked=result.masked_text, similar=similar_rows(result.similar_tickets),
            decisions=[[name, json.dumps(d.value, ensure_ascii=False, default=str), d.source,
                        None if d.probability is None else round(d.probability, 3)]
                       for name, d in result.decisions.items()],
            timings=[[t.name, round(t.seconds * 1000, 1)] for t in result.timings],
            draft=draft_text if draft_text is not None else (result.draft.text if result.draft else ""),
            draft_gate=_draft_gate(result.draft if draft_text is None else None, draft_text),
            helpdesk=json.loads(json.dumps({"zendesk": zendesk_update(result), "freshdesk": freshdesk_update(result)},
                                           default=str)),
            result_json=result.model_dump(mode="json"),
            fb_category=c.primary_category, fb_secondary=c.secondary_category or NO_SECONDARY, fb_urgency=c.urgency,
            fb_sentiment=c.sentiment, fb_escalation=c.escalation_risk,
            prediction={"category": c.primary_category, "secondary_category": c.secondary_category,
                        "urgency": c.urgency, "sentiment": c.sentiment, "escalation": c.escalation_risk},
        )

    def updates(self, outputs) -> dict:
        """{component: value} for the components of `outputs` (a TriageOutputs)."""
        return {getattr(outputs, f.name): getattr(self, f.name) for f in fields(self)}


def _routing(r) -> str:
    if r is None:
        return ""
    tier = f" ({r.customer_tier} tier)" if r.customer_tier else ""
    return (f"{r.queue} (team {r.team}); SLA {r.sla_hours:g} h{tier}, due {r.due_at:%Y-%m-%d %H:%M %Z}"
            + (f"; escalated: {', '.join(r.escalation_reasons)}" if r.escalated else ""))


def _draft_gate(draft, streamed: str | None) -> str:
    if draft is None:
        return "writing…" if streamed else ""
    return (f"{draft.strategy} · quality gate: {draft.gate}"
            + (f" · facts replaced: {len(draft.removed)}" if draft.removed else ""))
