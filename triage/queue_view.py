"""The agent's queue as rows: open tickets of the store by SLA due time, filtered, with counts per
team. Used by the Queue tab and the intake benchmark."""
from __future__ import annotations

import json
from datetime import datetime

QUEUE_HEADERS = ["id", "due (UTC)", "overdue", "status", "team", "urgency", "category", "sentiment", "escalated",
                 "review", "churn", "upsell", "source", "write-back", "summary"]


def queue_rows(store, team="All", urgencies=(), review_only=False, escalated_only=False, signals_only=False,
               now: datetime | None = None) -> tuple[list[list], str]:
    """The agent's queue: open tickets by SLA due time (overdue first), filtered; and counts per team."""
    from datetime import timezone

    now = now or datetime.now(timezone.utc)
    rows, per_team = [], {}
    for t in store.queue(limit=5000):
        r = json.loads(t["result"]) if t["result"] else {}
        c, routing = r.get("classification") or {}, r.get("routing") or {}
        churn, upsell = bool((r.get("churn") or {}).get("present")), bool((r.get("upsell") or {}).get("present"))
        row_team = routing.get("queue") or routing.get("team") or "untriaged"
        if team not in (None, "", "All") and row_team != team:
            continue
        if urgencies and c.get("urgency") not in urgencies:
            continue
        if (review_only and not c.get("needs_human_review")) or (escalated_only and not routing.get("escalated")):
            continue
        if signals_only and not (churn or upsell):
            continue
        due = t["sla_due_at"]
        overdue = bool(due) and datetime.fromisoformat(due) < now
        per_team[row_team] = per_team.get(row_team, 0) + 1
        rows.append([t["id"], (due or "")[:16].replace("T", " "), "OVERDUE" if overdue else "", t["status"], row_team,
                     c.get("urgency"), c.get("primary_category"), c.get("sentiment"), bool(routing.get("escalated")),
                     bool(c.get("needs_human_review")), churn, upsell, t["source"],
                     (t.get("writeback") or "") + (f": {t['writeback_error']}" if t.get("writeback_error") else ""),
                     c.get("summary") or t["subject"]])
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(per_team.items())) or "no open tickets"
    return rows, f"{len(rows)} open tickets — {counts}"
