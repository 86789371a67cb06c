import json

import pytest

from triage.datasets import load_rows, parse_bool, parse_map


def test_parse_map_and_bools():
    assert parse_map("category=queue, urgency=priority") == {"category": "queue", "urgency": "priority"}
    with pytest.raises(ValueError, match="field=COLUMN"):
        parse_map("category")
    with pytest.raises(ValueError, match="must be one of"):
        parse_map("colour=x")
    assert [parse_bool(v) for v in ("yes", "No", "1", "0", "TRUE", "maybe")] == [True, False, True, False, True, None]


def test_csv_columns_label_mapping_and_bad_rows_are_listed(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "id,subject,body,queue,escalated\n"
        "1,Bill,charged twice,Billing and Payments,yes\n"
        "2,,app crashes,Technical Support,no\n"
        "3,x,y,z\n"                                   # wrong column count
        "4,,,Technical Support,no\n"                  # empty text
        "5,Hi,where is it,Unknown Queue,no\n"         # label not in mapping
        "6,Hi,help,Technical Support,perhaps\n",      # bad escalation value
        encoding="utf-8")
    label_map = {"category": {"Billing and Payments": "billing", "Technical Support": "technical"}}
    rows, bad = load_rows(str(path), ["subject", "body"], {"category": "queue", "escalation": "escalated"},
                          label_map, id_col="id")
    assert [(r.id, r.text, r.labels) for r in rows] == [
        ("1", "Bill\ncharged twice", {"category": "billing", "escalation": True}),
        ("2", "app crashes", {"category": "technical", "escalation": False}),
    ]
    reasons = " | ".join(b.reason for b in bad)
    assert len(bad) == 4
    for fragment in ("expected 5 columns", "empty text", "not in the label mapping", "not true/false"):
        assert fragment in reasons


def test_jsonl_with_broken_line(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": "hello there", "cat": "general"}) + "\n{broken\n[1,2]\n", encoding="utf-8")
    rows, bad = load_rows(str(path), ["text"], {"category": "cat"})
    assert len(rows) == 1 and rows[0].labels == {"category": "general"}
    assert len(bad) == 2 and "invalid JSON" in bad[0].reason and "not a JSON object" in bad[1].reason
