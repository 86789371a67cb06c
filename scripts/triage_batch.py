"""Triage a CSV or JSONL of tickets into JSONL or CSV (by the output's extension).

    python -m scripts.triage_batch tickets.csv out.jsonl --text-cols subject,body --id-col id \
        [--mode evidence] [--workers 2] [--batch-size 64] [--engine local|ray] [--address auto]

Resumable (see triage.batch): re-running the same command after a crash finishes the job.
`--engine ray` runs the same pipeline on Ray Data (triage.ray_engine): `--num-workers` actors,
each loading the models once, on a local Ray started by the command or on `--address`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from triage.batch import ENGINES, triage_file
from triage.labelers import MODES


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="CSV or JSONL input")
    parser.add_argument("out", help="output .jsonl or .csv (appended to; resumable)")
    parser.add_argument("--text-cols", default="text", help="comma-separated text columns")
    parser.add_argument("--id-col", help="column with a unique ticket id (default: file:line)")
    parser.add_argument("--mode", choices=MODES, help="default: TRIAGE_MODE")
    parser.add_argument("--engine", choices=ENGINES, default="local")
    parser.add_argument("--address", help="Ray cluster to join (ray://host:10001 or auto); default: start a local Ray")
    parser.add_argument("--workers", "--num-workers", dest="workers", type=int, default=1,
                        help="threads (local engine) or Ray actors (ray engine)")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    report = triage_file(args.data, Path(args.out), args.text_cols.split(","), args.id_col, args.mode,
                         args.workers, args.batch_size,
                         engine=args.engine, address=args.address)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
