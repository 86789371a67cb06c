"""Command line: ``python -m triage "ticket text"`` (or ``-`` to read stdin) prints JSON."""
from __future__ import annotations

import argparse
import sys

from models.locate import ModelNotFoundError
from triage.config import get_settings
from triage.labelers import MODES
from triage.schema import EmptyTicketError, Ticket


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m triage", description="Triage one support ticket locally.")
    parser.add_argument("text", help="ticket text, or - to read it from stdin")
    parser.add_argument("--subject", default="", help="optional subject line")
    parser.add_argument("--model", help="GGUF path or packaged model name (env TRIAGE_MODEL)")
    parser.add_argument("--threads", type=int, help="llama.cpp threads (default: physical cores)")
    parser.add_argument("--mode", choices=MODES, help="default: TRIAGE_MODE or hybrid")
    parser.add_argument("--draft", action="store_true", help="also write a grounded reply draft")
    parser.add_argument("--mrr", type=float, help="the account's monthly recurring revenue (churn/upsell value)")
    parser.add_argument("--helpdesk", choices=["zendesk", "freshdesk"], help="print a helpdesk update payload instead")
    args = parser.parse_args(argv)

    text = sys.stdin.read() if args.text == "-" else args.text
    settings = get_settings(model=args.model, n_threads=args.threads, mode=args.mode)
    try:
        from kb.store import KnowledgeBaseError
        from triage.wiring import build_triager

        result = build_triager(settings).run(Ticket(text=text, subject=args.subject, mrr=args.mrr), with_draft=args.draft)
    except EmptyTicketError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ModelNotFoundError, KnowledgeBaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    if args.helpdesk:
        import json

        from triage.helpdesk import freshdesk_update, zendesk_update

        payload = zendesk_update(result) if args.helpdesk == "zendesk" else freshdesk_update(result)
        print(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
        return 0
    print(result.model_dump_json(indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
