"""Helpdesk payload previews (Zendesk and Freshdesk ticket updates). Nothing is sent anywhere."""
from __future__ import annotations

from triage.schema import TriageResult

ZENDESK_PRIORITY = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}
FRESHDESK_PRIORITY = {"P1": 4, "P2": 3, "P3": 2, "P4": 1}  # urgent, high, medium, low


def _tags(result: TriageResult) -> list[str]:
    c = result.classification
    tags = [f"category_{c.primary_category}", f"urgency_{c.urgency.lower()}", f"sentiment_{c.sentiment}",
            f"risk_{result.risk_level}", f"lang_{result.language}"]
    if c.secondary_category:
        tags.append(f"secondary_{c.secondary_category}")
    tags += [f"escalation_{s}" for s in result.escalation_signals]
    if c.needs_human_review:
        tags.append("needs_review")
    if result.churn is not None and result.churn.present:
        tags.append("churn_risk")
    if result.upsell is not None and result.upsell.present:
        tags.append("upsell_opportunity")
    return tags


def _note(result: TriageResult) -> str:
    c = result.classification
    lines = [f"Auto-triage: {c.primary_category} / {c.urgency} / {c.sentiment}, confidence {c.confidence}, "
             f"escalation risk {result.risk_level}.", f"Summary: {c.summary}"]
    if result.routing is not None:
        lines.append(f"SLA due: {result.routing.due_at.isoformat()} ({result.routing.sla_hours} h).")
    if result.draft is not None:
        lines += ["", "Suggested reply (review before sending):", result.draft.text]
    return "\n".join(lines)


def zendesk_update(result: TriageResult) -> dict:
    c = result.classification
    return {"ticket": {
        "priority": ZENDESK_PRIORITY[c.urgency],
        "tags": _tags(result),
        "group_name": result.routing.queue if result.routing else None,
        "comment": {"body": _note(result), "public": False},
    }}


def freshdesk_update(result: TriageResult) -> dict:
    c = result.classification
    return {
        "priority": FRESHDESK_PRIORITY[c.urgency],
        "tags": _tags(result),
        "group_name": result.routing.queue if result.routing else None,
        "note": {"body": _note(result), "private": True},
    }
