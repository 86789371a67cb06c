"""Build (or top up) the knowledge base from the shipped data, then train the evidence heads.

    python -m scripts.build_kb [--kb PATH] [--rebuild]

Re-running adds only rows whose id is not in the KB yet."""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections import Counter

import models  # noqa: F401
from tqdm import tqdm

from kb.sources import all_kb_rows
from triage.config import get_settings


def build(kb_path=None, rebuild: bool = False, quiet: bool = False) -> dict:
    from kb.store import KnowledgeBase
    from models.embedder import TicketEmbedder
    from triage.evidence import train_heads

    settings = get_settings()
    path = kb_path or settings.kb_path
    if rebuild and path.exists():
        shutil.rmtree(path)
    start = time.perf_counter()
    embedder = TicketEmbedder()
    kb = KnowledgeBase(path, embedder)
    unmapped: Counter = Counter()
    have = kb.existing_ids()
    new_rows = [r for r in all_kb_rows(unmapped) if r["id"] not in have]
    with tqdm(total=len(new_rows), desc="embedding + ingesting", unit="ticket", disable=quiet) as bar:
        added = kb.add(new_rows, progress=bar.update)
    heads = train_heads(kb, settings)
    report = {"kb": str(path), "added": added, "total": kb.count(), "unmapped_labels": dict(unmapped),
              "by_source": kb.counts("source"), "heads_trained_on_version": heads.kb_version,
              "seconds": round(time.perf_counter() - start, 1)}
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", help="KB folder (default: TRIAGE_DATA_DIR/kb)")
    parser.add_argument("--rebuild", action="store_true", help="delete and rebuild from scratch")
    args = parser.parse_args(argv)
    from pathlib import Path

    report = build(Path(args.kb) if args.kb else None, args.rebuild)
    for key, value in report.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
