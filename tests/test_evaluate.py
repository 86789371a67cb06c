"""scripts.evaluate end to end on a small labelled CSV, evidence mode, over the project's KB."""
import csv
import json


def test_evaluate_writes_metrics_report_and_per_row_predictions(project_kb, tmp_path):
    from scripts.evaluate import main

    tickets = [("I was charged twice for my subscription this month, please refund one.", "billing", "P2"),
               ("The app crashes with error 500 every time I upload a file.", "technical", "P2"),
               ("I forgot my password and cannot log in.", "account", "P2"),
               ("Where is my order? It has not arrived yet.", "general", "P3")]
    data = tmp_path / "tickets.csv"
    with data.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ticket_id", "text", "queue", "priority"])
        writer.writerows([f"T{i}", text, cat, urg] for i, (text, cat, urg) in enumerate(tickets))
        writer.writerow(["T9", "", "billing", "P3"])  # empty text: listed as unreadable, not fatal
    out = tmp_path / "out"
    assert main([str(data), "--text-cols", "text", "--map", "category=queue,urgency=priority", "--id-col", "ticket_id",
                 "--mode", "evidence", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())["evidence"]
    assert metrics["n"] == 4 and 0 <= metrics["category"]["accuracy"] <= 1
    assert metrics["summary_sources"] == {"extractive": 4}
    records = [json.loads(line) for line in (out / "evidence_predictions.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == ["T0", "T1", "T2", "T3"]
    assert records[0]["gold"]["category"] == "billing" and records[0]["predicted"]["category"] in (
        "billing", "technical", "account", "feature_request", "general")
    assert records[3]["summary"] and records[3]["sources"]["primary_category"].startswith("evidence")
    report = (out / "report.md").read_text()
    assert "unreadable rows: 1" in report and "summary written by: extractive 4" in report
