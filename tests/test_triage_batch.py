"""Batch triage is resumable: no finished row lost or doubled after a crash."""
import json

import pytest

from triage.batch import repair_and_read_ids, triage_file
from tests.fakes import FakeLLM
from triage.config import Settings
from triage.wiring import build_triager


class CrashingTriager:
    """Delegates to a real (fake-LLM) Triager, and dies after N batches."""

    def __init__(self, inner, crash_after: int | None):
        self.inner, self.crash_after, self.calls = inner, crash_after, 0

    def run_many(self, tickets):
        self.calls += 1
        if self.crash_after is not None and self.calls > self.crash_after:
            raise KeyboardInterrupt("simulated crash")
        return self.inner.run_many(tickets)


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "tickets.csv"
    lines = ["id,text"] + [f"T{i},ticket number {i} about a refund" for i in range(25)] + ["T25,<p> </p>", "T26,   "]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_resume_after_interrupted_batch(tmp_path, data, suffix):
    inner = build_triager(Settings(), mode="llm", llm=FakeLLM())
    out = tmp_path / f"out{suffix}"
    with pytest.raises(KeyboardInterrupt):
        triage_file(str(data), out, ["text"], "id", triager=CrashingTriager(inner, 2), batch_size=5, quiet=True)
    first = repair_and_read_ids(out)
    assert len(first) == 10  # two whole batches, nothing partial
    # a torn line from a crash mid-write is cut off, not parsed
    with out.open("a", encoding="utf-8") as fh:
        fh.write('{"id": "T99", "prim' if suffix == ".jsonl" else "T99,bill")
    report = triage_file(str(data), out, ["text"], "id", triager=CrashingTriager(inner, None), batch_size=5, quiet=True)
    assert report["skipped_already_done"] == 10 and report["written"] == 15
    assert report["failed"] == 1 and report["unreadable"] == 1
    ids = sorted(repair_and_read_ids(out))
    assert ids == sorted(f"T{i}" for i in range(25))  # each exactly once (a set would hide doubles:)
    if suffix == ".jsonl":
        lines = [json.loads(l)["id"] for l in out.read_text(encoding="utf-8").splitlines()]
        assert len(lines) == len(set(lines)) == 25
        assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["urgency"] in ("P1", "P2", "P3", "P4")
    errors = (tmp_path / f"out{suffix}.errors.jsonl").read_text(encoding="utf-8")
    assert "T25" in errors and "EmptyTicketError" in errors and "empty text" in errors
