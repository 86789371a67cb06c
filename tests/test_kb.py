"""Knowledge base: a real LanceDB on disk with the real embedders (fixtures build temporary KBs)."""
import json
import shutil
import threading
from pathlib import Path
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from kb.sources import banking77_rows, bitext_rows, curated_rows, load_mapping, nlbse24_rows
from kb.store import KnowledgeBase, KnowledgeBaseError


@pytest.fixture(scope="session")
def embedder():
    from models.embedder import TicketEmbedder

    return TicketEmbedder(threads=1)


@pytest.fixture
def small_kb(tmp_path, embedder):
    kb = KnowledgeBase(tmp_path / "kb", embedder)
    rows = list(curated_rows("kb"))[:60]
    kb.add(rows, batch_size=20)
    return kb, rows


def test_ingest_search_add_then_search_finds_new_ticket(small_kb):
    kb, rows = small_kb
    assert kb.count() == 60
    hits = kb.search(rows[0]["text"], k=3)
    assert hits[0].id == rows[0]["id"] and hits[0].similarity > 0.99
    assert all(0 <= h.similarity <= 1.0001 for h in hits)

    text = "The hydroponic garden controller shows error HX-42 and will not pump water."
    before = kb.search(text, k=1)[0]
    new_id = kb.add_resolved(text, {"category": "technical", "urgency": "P2", "sentiment": "neutral",
                                    "escalation": False}, resolution="Reset the pump module.",
                             original_prediction={"category": "general", "urgency": "P3"})
    after = kb.search("hydroponic controller error HX-42, the pump does not run", k=1)[0]
    assert after.id == new_id != before.id
    assert after.category == "technical" and after.resolution == "Reset the pump module."
    log = kb.corrections()
    assert log[-1]["id"] == new_id and log[-1]["original"]["category"] == "general"
    assert log[-1]["changed"] == ["category", "urgency"]


def test_adding_is_idempotent_and_updates_by_id(small_kb):
    kb, rows = small_kb
    kb.add(rows[:30])
    assert kb.count() == 60
    changed = dict(rows[0], category="feature_request")
    kb.add([changed])
    assert kb.count() == 60
    assert kb.search(rows[0]["text"], k=1)[0].category == "feature_request"


def test_category_filter_and_recency_preference(small_kb):
    kb, rows = small_kb
    billing = kb.search("I was charged twice", k=5, category="billing")
    assert billing and all(h.category == "billing" for h in billing)
    old = datetime.now(timezone.utc) - timedelta(days=900)
    base = {"text": "Zorblax widget refund for the blue gizmo please", "category": "billing", "source": "test"}
    kb.add([dict(base, id="old", created_at=old), dict(base, id="new", text=base["text"] + " now")])
    plain = [h.id for h in kb.search(base["text"], k=2)]
    recent = [h.id for h in kb.search(base["text"], k=2, recency_weight=0.5)]
    assert plain[0] == "old" and recent[0] == "new"


def test_interrupted_ingest_keeps_committed_batches(tmp_path, embedder):
    kb = KnowledgeBase(tmp_path / "kb", embedder)
    rows = list(curated_rows("kb"))[:50]

    def crashing():
        for i, row in enumerate(rows):
            if i == 25:
                raise KeyboardInterrupt("simulated crash")
            yield row

    with pytest.raises(KeyboardInterrupt):
        kb.add(crashing(), batch_size=10)
    reopened = KnowledgeBase(tmp_path / "kb", embedder)
    assert reopened.count() == 20  # two full batches committed, the partial one not
    assert reopened.search(rows[0]["text"], k=1)[0].id == rows[0]["id"]


def test_readers_are_safe_while_a_writer_adds(small_kb):
    kb, rows = small_kb
    errors = []

    def reader():
        try:
            for _ in range(15):
                assert kb.search("refund my order", k=3)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    kb.add([dict(r, id=r["id"] + "-copy") for r in rows[:40]], batch_size=8)
    for t in threads:
        t.join()
    assert not errors and kb.count() == 100


def test_missing_and_corrupted_kb_give_a_rebuild_message(tmp_path, embedder):
    with pytest.raises(KnowledgeBaseError, match="build_kb"):
        KnowledgeBase(tmp_path / "nothing", embedder).check()
    kb = KnowledgeBase(tmp_path / "kb", embedder)
    kb.add(list(curated_rows("kb"))[:5])
    for f in (tmp_path / "kb").rglob("*.lance"):
        if f.is_file():
            f.write_bytes(b"garbage")
    shutil.rmtree(tmp_path / "kb" / "resolved_tickets.lance" / "_versions")
    with pytest.raises(KnowledgeBaseError, match="build_kb"):
        KnowledgeBase(tmp_path / "kb", embedder).check()


def test_build_if_needed_rebuilds_a_corrupted_kb(tmp_path, monkeypatch):
    from scripts.build_kb import OUT_OF_DATE, STAMP_FILE, build, needs_build, sources_stamp

    path = tmp_path / "kb"
    assert needs_build(path) == "missing"
    rows = [dict(r) for r in list(curated_rows("kb"))[:12]]
    build(path, quiet=True, rows=rows)
    assert needs_build(path) == OUT_OF_DATE  # a partial build never claims to hold the shipped data
    (path / STAMP_FILE).write_text(sources_stamp())
    assert needs_build(path) is None
    shutil.rmtree(path / "resolved_tickets.lance" / "_versions")
    assert needs_build(path).startswith("unreadable")
    report = build(path, rebuild=True, quiet=True, rows=rows)
    assert report["total"] == 12
    again = build(path, quiet=True, rows=rows)
    assert again["added_or_updated"] == 0  # re-running adds only what is new


def test_label_mappings_cover_every_source_label():
    unmapped = Counter()
    b77 = list(banking77_rows("train.csv", unmapped))
    nl = list(nlbse24_rows("issues_train.csv", unmapped))
    bt = list(bitext_rows(unmapped))
    assert not unmapped
    assert {r["category"] for r in b77} == {"billing", "account", "technical", "general"}
    assert Counter(r["category"] for r in nl) == {"technical": 500, "feature_request": 500, "general": 500}
    assert load_mapping("banking77")["map"]["request_refund"] == "billing"
    assert load_mapping("banking77")["map"]["passcode_forgotten"] == "account"
    assert {r["category"] for r in bt} == {"billing", "account", "general"}


def test_curated_splits_are_disjoint_and_kb_never_holds_eval_rows():
    kb_ids = {r["id"] for r in curated_rows("kb")}
    dev_ids = {r["id"] for r in curated_rows("dev")}
    test_ids = {r["id"] for r in curated_rows("test")}
    assert kb_ids and dev_ids and test_ids
    assert not (kb_ids & dev_ids) and not (kb_ids & test_ids) and not (dev_ids & test_ids)
    every = {json.loads(line)["id"] for f in (Path(__file__).resolve().parent.parent / "kb" / "seed").glob("curated_part*.jsonl")
             for line in f.open(encoding="utf-8") if line.strip()}
    assert every == kb_ids | dev_ids | test_ids
