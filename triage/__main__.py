"""Command line: ``python -m triage "ticket text"`` (or ``-`` to read stdin) prints JSON."""
from __future__ import annotations

import argparse
import sys

import models  # noqa: F401  (offline env vars first)
from models.locate import ModelNotFoundError
from triage.config import get_settings
from triage.schema import EmptyTicketError, Ticket


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m triage", description="Triage one support ticket locally.")
    parser.add_argument("text", help="ticket text, or - to read it from stdin")
    parser.add_argument("--subject", default="", help="optional subject line")
    parser.add_argument("--model", help="GGUF path or packaged model name (env TRIAGE_MODEL)")
    parser.add_argument("--threads", type=int, help="llama.cpp threads (default: physical cores)")
    args = parser.parse_args(argv)

    text = sys.stdin.read() if args.text == "-" else args.text
    settings = get_settings(model=args.model, n_threads=args.threads)
    try:
        from triage.pipeline import Triager

        result = Triager(settings).run(Ticket(text=text, subject=args.subject))
    except EmptyTicketError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ModelNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(result.model_dump_json(indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
