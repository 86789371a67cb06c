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
    from app import App, insights
    from triage.ticket_store import TicketStore

    class CorrectionsOnly:  # the KB's corrections log is all the tab reads from the KB
        def corrections(self):
            return [correction("2026-11-02T10:00:00+00:00", {"category": "billing"}, {"category": "general"})]

    store = TicketStore(tmp_path / "tickets.db")
    ticket_id, _ = store.accept("zendesk", "9", "We will cancel unless this is fixed")
    store.record_result(ticket_id, {"churn": {"present": True, "triggers": {"cancel": "will cancel"},
                                              "account_value": 900}, "classification": {"summary": "Threat"}})
    app = App.__new__(App)
    app.kb, app.store = CorrectionsOnly(), store
    summary, patterns, weekly, _, plot, guardian, opportunity = insights(app)
    assert summary.startswith("1 resolved with a prediction, 1 corrected")
    assert patterns == [["category", "billing", "general", 1]] and weekly == [["2026-W45", 1, 1, 1.0]]
    assert plot is not None and guardian == [[ticket_id, guardian[0][1], 900, "cancel: will cancel", "Threat"]]
    assert opportunity == []
