"""Batch triage of a CSV or JSONL file into JSONL or CSV (by the output's extension).

Resumable: rows whose id is already in the output are skipped, so after a crash re-running the
same command finishes the job; every row is written whole (a torn last line is cut off first),
never twice. Rows that cannot be read or triaged go to OUT.errors.jsonl with the reason."""
from __future__ import annotations

import csv
from contextlib import closing
import json
import os
import threading
import time
from pathlib import Path

from tqdm import tqdm

from triage.datasets import load_rows
from triage.wiring import build_triager, run_in_batches

ENGINES = ("local", "ray")
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


def row_outcome(row_id: str, result) -> tuple[str, dict]:
    """("ok", flat record) for a triaged row, ("error", {id, reason}) for one that raised."""
    if isinstance(result, Exception):
        return "error", {"id": row_id, "reason": f"{type(result).__name__}: {result}"}
    return "ok", flat_record(row_id, result)


def split_results(rows, results) -> tuple[list[dict], list[dict]]:
    """(flat records of the triaged rows, {id, reason} of the rows that raised), in input order."""
    outcomes = [row_outcome(r.id, res) for r, res in zip(rows, results)]
    return [p for kind, p in outcomes if kind == "ok"], [p for kind, p in outcomes if kind == "error"]


def local_batches(triager, rows, batch_size: int, workers: int):
    """The local engine: (records, failures) per chunk, triaged in this process."""
    for chunk, results in run_in_batches(triager, rows, batch_size, workers):
        yield split_results(chunk, results)


def triage_file(data: str, out: Path, text_cols: list[str], id_col: str | None, mode: str | None = None,
                workers: int = 1, batch_size: int = 64, triager=None, quiet: bool = False,
                engine: str = "local", address: str | None = None) -> dict:
    """Triage every new row of `data` into `out`. engine "local" runs the pipeline in this process
    (`workers` threads); "ray" runs it on Ray Data (`workers` actors, each loading the models once;
    `address` an existing cluster, else a local Ray started here). Both write the same records."""
    if engine not in ENGINES:
        raise ValueError(f"Unknown engine {engine!r}: choose one of {', '.join(ENGINES)}.")
    rows, bad = load_rows(data, text_cols, id_col=id_col)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = repair_and_read_ids(out)
    todo = [r for r in rows if r.id not in done]
    errors_path = out.with_name(out.name + ".errors.jsonl")
    start, first_batch, after_first = time.perf_counter(), None, 0  # wall time includes loading the models
    if engine == "ray":
        from triage.ray_engine import ray_batches

        stream = ray_batches(todo, mode, batch_size, workers, address, quiet=quiet)
    else:
        stream = local_batches(triager or build_triager(mode=mode), todo, batch_size, workers)
    writer, errors = Writer(out), Writer(errors_path)
    errors.write([{"id": f"line-{b.line}", "reason": b.reason} for b in bad])
    counts = {"written": 0, "failed": 0}

    try:
        with closing(stream), tqdm(total=len(todo), desc=f"triage ({engine})", unit="ticket", disable=quiet) as bar:
            for good, failed in stream:
                writer.write(good)
                errors.write(failed)
                counts["written"] += len(good)
                counts["failed"] += len(failed)
                bar.update(len(good) + len(failed))
                if first_batch is None:
                    first_batch = time.perf_counter()
                else:
                    after_first += len(good) + len(failed)
    finally:
        writer.close()
        errors.close()
    end = time.perf_counter()
    # Steady state: tickets after the first batch over the time they took (model loading excluded).
    steady = round(after_first / (end - first_batch), 2) if first_batch and after_first and end > first_batch else None
    return {"rows": len(rows), "skipped_already_done": len(done & {r.id for r in rows}), **counts,
            "unreadable": len(bad), "out": str(out), "errors": str(errors_path), "engine": engine,
            "seconds": round(end - start, 2), "steady_tickets_per_s": steady}
