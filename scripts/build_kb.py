"""Build (or top up) the knowledge base from the shipped data, then train the evidence heads.

    python -m scripts.build_kb [--kb PATH] [--rebuild] [--if-needed]

Rows are cleaned and PII-masked like live tickets before they are stored. Re-running adds
only rows that are new or whose text changed; rows added from the app (feedback) are kept.
--if-needed does nothing when the KB is present and readable (used by make run / make test)."""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from kb.sources import all_kb_rows
from triage.config import get_settings
from triage.prepare import Preparer
from triage.wiring import masker
from triage.schema import EmptyTicketError


def prepare(row: dict, preparer: Preparer | None = None) -> dict | None:
    """The same cleaning and masking as a live ticket; None when nothing readable is left."""
    preparer = preparer or Preparer(0, masker=masker(get_settings()))
    try:
        _, text, _ = preparer.clean_and_mask(row["text"])
    except EmptyTicketError:
        return None
    return {**row, "text": text}


def build(kb_path: Path | None = None, rebuild: bool = False, quiet: bool = False, rows=None) -> dict:
    from triage.heads import load_or_fit
    from triage.wiring import open_kb

    settings = get_settings()
    path = Path(kb_path or settings.kb_path)
    if rebuild and path.exists():
        shutil.rmtree(path)
    start = time.perf_counter()
    kb = open_kb(settings, path=path, threads=settings.n_threads or 2, check=False)
    unmapped: Counter = Counter()
    existing = kb.texts_by_id()
    skipped_empty = 0
    todo = []
    preparer = Preparer(0, masker=masker(settings))
    for raw in (rows if rows is not None else all_kb_rows(unmapped)):
        row = prepare(raw, preparer)
        if row is None:
            skipped_empty += 1
            continue
        if existing.get(row["id"]) != row["text"]:
            todo.append(row)
    with tqdm(total=len(todo), desc="embedding + ingesting", unit="ticket", disable=quiet) as bar:
        added = kb.add(todo, progress=bar.update)
    indexed = kb.ensure_index(settings.ann_min_rows) if added else bool(kb.table.list_indices())
    heads = load_or_fit(kb)
    if rows is None:
        (path / STAMP_FILE).write_text(sources_stamp() + "\n")
    return {"kb": str(path), "added_or_updated": added, "total": kb.count(), "skipped_empty": skipped_empty,
            "unmapped_labels": dict(unmapped), "by_source": kb.counts("source"), "ann_index": indexed,
            "heads_trained_on_version": heads.kb_version, "seconds": round(time.perf_counter() - start, 1)}


def sources_stamp() -> str:
    """A hash of the shipped data the KB is built from (seed tickets, mappings, public files) and of
    the masking code it went through (a new PII type re-masks and re-embeds the rows it changes)."""
    import hashlib

    import triage.pii
    from kb.sources import DATA_DIR, MAPPINGS_DIR, SEED_DIR

    digest = hashlib.sha1()
    for folder in (SEED_DIR, MAPPINGS_DIR, DATA_DIR, Path(triage.pii.__file__).parent):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{path.relative_to(folder)}:{path.stat().st_size}:".encode())
            if folder is not DATA_DIR:
                digest.update(path.read_bytes())
    return digest.hexdigest()


STAMP_FILE = "sources.sha1"


def needs_build(kb_path: Path) -> str | None:
    """Why the KB must be (re)built or updated, or None when it is present, readable and built
    from the shipped data as it is now."""
    import lancedb

    if not (kb_path / "resolved_tickets.lance").exists():
        return "missing"
    try:
        table = lancedb.connect(str(kb_path)).open_table("resolved_tickets")
        if table.count_rows() == 0:
            return "empty"
        table.head(1)
        table.to_arrow().select(["id", "vector"])  # reads every data file
    except Exception as exc:  # noqa: BLE001 - any failure to read means rebuild
        return f"unreadable ({type(exc).__name__}: {exc})"
    stamp = kb_path / STAMP_FILE
    if not stamp.exists() or stamp.read_text().strip() != sources_stamp():
        return OUT_OF_DATE
    return None


OUT_OF_DATE = "out of date with the shipped data"


def build_if_needed(path: Path, quiet: bool = False) -> dict | None:
    """Build the KB when it is missing or broken, update it when the shipped data or the masking
    code changed (only new or changed rows are embedded); None when it is up to date."""
    reason = needs_build(path)
    if reason is None:
        return None
    if not quiet:
        print(f"knowledge base at {path} is {reason}: {'updating' if reason == OUT_OF_DATE else 'rebuilding'}",
              flush=True)
    return build(path, rebuild=reason not in ("missing", OUT_OF_DATE), quiet=quiet)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", help="KB folder (default: TRIAGE_DATA_DIR/kb)")
    parser.add_argument("--rebuild", action="store_true", help="delete and rebuild from scratch")
    parser.add_argument("--if-needed", action="store_true", help="only build when missing or unreadable")
    args = parser.parse_args(argv)
    path = Path(args.kb) if args.kb else get_settings().kb_path
    report = build_if_needed(path) if args.if_needed else build(path, args.rebuild)
    if report is None:
        print(f"knowledge base at {path} is present and readable")
        return 0
    for key, value in report.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
