"""Drift report and alerts from hand-built corrections and stored results."""
import json

from triage.drift import alerts, drift_report


def correction(at, original, final):
    return {"id": "x", "at": at, "original": original, "final": final}


def test_confusion_patterns_and_rates_by_week_and_category():
    base = {"category": "billing", "urgency": "P3", "sentiment": "neutral", "escalation": False}
    corrections = [
        correction("2026-11-02T10:00:00+00:00", base, {**base, "category": "general"}),  # corrected
        correction("2026-11-03T10:00:00+00:00", base, base),                             # kept
        correction("2026-11-04T10:00:00+00:00", base, {**base, "category": "general", "urgency": "P2"}),
        {"id": "y", "at": "2026-11-04T11:00:00+00:00", "original": {}, "final": base},  # added by hand
    ]
    report = drift_report(corrections)
    assert report["resolved_with_prediction"] == 3 and report["corrected"] == 2
    assert report["added_without_prediction"] == 1
    assert report["patterns"][0] == {"field": "category", "predicted": "billing", "corrected": "general", "count": 2}
    assert report["by_week"] == {"2026-W45": {"corrected": 2, "resolved": 3, "rate": 0.667}}
    assert report["by_category"]["general"] == {"corrected": 2, "resolved": 2, "rate": 1.0}
    assert {"predicted": "P3", "corrected": "P2", "count": 1} in report["confusion"]["urgency"]


def test_alert_lists_newest_first_with_phrases_and_account_value():
    def row(i, at, churn):
        result = {"churn": {"present": churn, "triggers": {"cancel": "we will cancel"} if churn else {},
                            "account_value": 4200 if churn else None}, "upsell": {"present": False}}
        return {"id": i, "received_at": at, "source": "zendesk", "result": json.dumps(result)}

    rows = [row(1, "2026-11-01T09:00:00+00:00", True), row(2, "2026-11-02T09:00:00+00:00", False),
            row(3, "2026-11-03T09:00:00+00:00", True)]
    guardian = alerts(rows, "churn")
    assert [a["id"] for a in guardian] == [3, 1] and guardian[0]["phrases"] == {"cancel": "we will cancel"}
    assert guardian[0]["account_value"] == 4200 and alerts(rows, "upsell") == []


def test_insights_tab_data_from_the_kb_log_and_a_real_ticket_store(tmp_path):
    from types import SimpleNamespace

    from triage.ticket_store import TicketStore
    from triage.ui.context import UIContext
    from triage.ui.insights_tab import insights

    class CorrectionsOnly:  # the KB's corrections log is all the tab reads from the KB
        def corrections(self):
            return [correction("2026-11-02T10:00:00+00:00", {"category": "billing"}, {"category": "general"})]

    store = TicketStore(tmp_path / "tickets.db")
    ticket_id, _ = store.accept("zendesk", "9", "We will cancel unless this is fixed")
    store.record_result(ticket_id, {"churn": {"present": True, "triggers": {"cancel": "will cancel"},
                                              "account_value": 900}, "classification": {"summary": "Threat"}})
    ui = UIContext(SimpleNamespace(kb=CorrectionsOnly()), store)  # the context's kb is the triager's
    summary, patterns, confusion, weekly, _, plot, guardian, opportunity = insights(ui)
    assert confusion == [["category", "billing", "general", 1]]
    assert summary.startswith("1 resolved with a prediction, 1 corrected")
    assert patterns == [["category", "billing", "general", 1]] and weekly == [["2026-W45", 1, 1, 1.0]]
    assert plot is not None and guardian == [[ticket_id, guardian[0][1], 900, "cancel: will cancel", "Threat"]]
    assert opportunity == []


def test_queue_view_orders_by_sla_due_overdue_first_and_filters(tmp_path):
    from datetime import datetime, timezone

    from triage.queue_view import queue_rows
    from triage.ticket_store import TicketStore

    store = TicketStore(tmp_path / "t.db")
    for ext, due, team, urgency in [("a", "2026-12-03T10:00:00+00:00", "Billing", "P3"),
                                    ("b", "2026-12-01T10:00:00+00:00", "Engineering on-call", "P1"),
                                    ("c", "2026-12-02T12:00:00+00:00", "Billing", "P2")]:
        tid, _ = store.accept("api", ext, "masked")
        store.record_result(tid, {"classification": {"urgency": urgency, "primary_category": "billing"},
                                  "routing": {"queue": team, "due_at": due, "escalated": urgency == "P1"}})
    now = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
    rows, counts = queue_rows(store, now=now)
    assert [r[1][:10] for r in rows] == ["2026-12-01", "2026-12-02", "2026-12-03"] and rows[0][2] == "OVERDUE"
    assert counts == "3 open tickets — Billing: 2, Engineering on-call: 1"
    assert [r[5] for r in queue_rows(store, team="Billing", now=now)[0]] == ["P2", "P3"]
    assert [r[5] for r in queue_rows(store, escalated_only=True, now=now)[0]] == ["P1"]
