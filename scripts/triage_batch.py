"""Triage a CSV or JSONL of tickets into JSONL or CSV (by the output's extension).

    python -m scripts.triage_batch tickets.csv out.jsonl --text-cols subject,body --id-col id \
        [--mode evidence] [--workers 2] [--batch-size 64]

Resumable (see triage.batch): re-running the same command after a crash finishes the job."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from triage.batch import triage_file
from triage.labelers import MODES


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="CSV or JSONL input")
    parser.add_argument("out", help="output .jsonl or .csv (appended to; resumable)")
    parser.add_argument("--text-cols", default="text", help="comma-separated text columns")
    parser.add_argument("--id-col", help="column with a unique ticket id (default: file:line)")
    parser.add_argument("--mode", choices=MODES, help="default: TRIAGE_MODE")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    report = triage_file(args.data, Path(args.out), args.text_cols.split(","), args.id_col, args.mode,
                         args.workers, args.batch_size)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
