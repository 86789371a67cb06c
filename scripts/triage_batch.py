"""Triage a CSV or JSONL of tickets into JSONL or CSV (by the output's extension).

    python -m scripts.triage_batch tickets.csv out.jsonl --text-cols subject,body --id-col id \
        [--mode evidence] [--workers 2] [--batch-size 64]

Resumable: rows whose id is already in the output are skipped, so after a crash re-running the
same command finishes the job; every row is written whole (a torn last line is cut off first),
never twice. Rows that cannot be read or triaged go to OUT.errors.jsonl with the reason."""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import models  # noqa: F401
from tqdm import tqdm

from scripts.datasets import load_rows
from triage.config import get_settings

CSV_FIELDS = ["id", "primary_category", "secondary_category", "subcategory", "urgency", "sentiment",
              "confidence", "needs_human_review", "escalation_risk", "summary", "language", "escalation_signals",
              "p1_signals", "pii_found", "similar_ticket_ids", "mode", "model", "truncated", "seconds", "masked_text"]


def flat_record(row_id: str, result) -> dict:
    c = result.classification
    return {"id": row_id, **c.model_dump(), "language": result.language,
            "escalation_signals": ";".join(result.escalation_signals), "p1_signals": ";".join(result.p1_signals),
            "pii_found": ";".join(f"{k}={v}" for k, v in result.pii.counts.items()),
            "similar_ticket_ids": ";".join(t.id for t in result.similar_tickets), "mode": result.mode,
            "model": result.model, "truncated": result.truncated, "seconds": round(result.total_seconds, 4),
            "masked_text": result.masked_text}


def repair_and_read_ids(path: Path) -> set[str]:
    """Ids already written; a torn last line (crash mid-write) is removed first."""
    if not path.exists() or path.stat().st_size == 0:
        return set()
    data = path.read_bytes()
    if not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with path.open("r+b") as fh:
            fh.truncate(cut)
        data = data[:cut]
    text = data.decode("utf-8")
    if path.suffix.lower() == ".csv":
        return {r["id"] for r in csv.DictReader(text.splitlines())}
    return {json.loads(line)["id"] for line in text.splitlines() if line.strip()}


class Writer:
    """Appends whole rows and flushes them to disk (thread-safe)."""

    def __init__(self, path: Path):
        self.path = path
        self.csv = path.suffix.lower() == ".csv"
        new = not path.exists() or path.stat().st_size == 0
        self.fh = path.open("a", encoding="utf-8", newline="")
        self.lock = threading.Lock()
        if self.csv:
            self.writer = csv.DictWriter(self.fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
            if new:
                self.writer.writeheader()

    def write(self, records: list[dict]) -> None:
        with self.lock:
            for rec in records:
                if self.csv:
                    self.writer.writerow(rec)
                else:
                    self.fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
            self.fh.flush()
            os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()


def triage_file(data: str, out: Path, text_cols: list[str], id_col: str | None, mode: str | None = None,
                workers: int = 1, batch_size: int = 64, triager=None, quiet: bool = False) -> dict:
    from triage.pipeline import Triager
    from triage.schema import Ticket

    rows, bad = load_rows(data, text_cols, id_col=id_col)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = repair_and_read_ids(out)
    todo = [r for r in rows if r.id not in done]
    errors_path = out.with_name(out.name + ".errors.jsonl")
    triager = triager or Triager(get_settings(), mode=mode)
    writer, errors = Writer(out), Writer(errors_path)
    errors.write([{"id": f"line-{b.line}", "reason": b.reason} for b in bad])
    counts = {"written": 0, "failed": 0}

    def work(chunk):
        results = triager.run_many([Ticket(text=r.text, id=r.id) for r in chunk])
        good = [flat_record(r.id, res) for r, res in zip(chunk, results) if not isinstance(res, Exception)]
        failed = [{"id": r.id, "reason": f"{type(res).__name__}: {res}"}
                  for r, res in zip(chunk, results) if isinstance(res, Exception)]
        writer.write(good)
        errors.write(failed)
        return len(good), len(failed)

    chunks = [todo[i: i + batch_size] for i in range(0, len(todo), batch_size)]
    try:
        with tqdm(total=len(todo), desc="triage", unit="ticket", disable=quiet) as bar, \
                ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for future in as_completed([pool.submit(work, c) for c in chunks]):
                good, failed = future.result()
                counts["written"] += good
                counts["failed"] += failed
                bar.update(good + failed)
    finally:
        writer.close()
        errors.close()
    return {"rows": len(rows), "skipped_already_done": len(done & {r.id for r in rows}), **counts,
            "unreadable": len(bad), "out": str(out), "errors": str(errors_path)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="CSV or JSONL input")
    parser.add_argument("out", help="output .jsonl or .csv (appended to; resumable)")
    parser.add_argument("--text-cols", default="text", help="comma-separated text columns")
    parser.add_argument("--id-col", help="column with a unique ticket id (default: file:line)")
    parser.add_argument("--mode", help="llm|evidence|hybrid (default: TRIAGE_MODE)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    report = triage_file(args.data, Path(args.out), args.text_cols.split(","), args.id_col, args.mode,
                         args.workers, args.batch_size)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
