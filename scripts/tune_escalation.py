"""Choose the escalation rules and the evidence head's threshold, on *dev* rows only.

    python -m scripts.tune_escalation [--errors]

Two dev sets: the curated dev split and the dev half of the hand-labelled public set
(eval/data/escalation_public/dev.jsonl). Prints recall / precision of the phrase rules alone
and of rules OR head >= threshold for a grid of thresholds; --errors lists the public dev
misses. The chosen threshold is written into triage/decide.py by hand. The test halves are
never read here."""
from __future__ import annotations

import argparse
import json

import models  # noqa: F401
from kb.sources import curated_rows
from scripts.metrics import binary_metrics
from triage.config import PROJECT_ROOT, get_settings
from triage.escalation import escalation_signals

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)


def dev_sets() -> dict[str, list[dict]]:
    public = [json.loads(line) for line in (PROJECT_ROOT / "eval/data/escalation_public/dev.jsonl").open(encoding="utf-8")]
    curated = [{"id": r["id"], "text": r["text"], "escalation": r["escalation"]} for r in curated_rows("dev")]
    return {"curated_dev": curated, "public_dev": public}


def prepared(rows: list[dict]) -> tuple[list[str], list[float]]:
    """The text the rules see (cleaned, PII-masked, as in the pipeline) and the head's P(escalation)."""
    from triage.pipeline import Triager
    from triage.schema import Ticket

    triager = Triager(get_settings(), mode="evidence")
    texts = [triager._prepare(Ticket(text=r["text"])).masked for r in rows]
    return texts, [e.fields["escalation"].probs.get(True, 0.0) for e in triager.evidence.assess_many(texts)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="list public dev misses and false alarms")
    args = ap.parse_args(argv)
    for name, rows in dev_sets().items():
        gold = [bool(r["escalation"]) for r in rows]
        texts, probs = prepared(rows)
        fired = [bool(escalation_signals(t)) for t in texts]
        m = binary_metrics(gold, fired)
        print(f"{name} (n={len(rows)}, positives={sum(gold)}): rules alone recall {m['recall']:.3f} precision {m['precision']:.3f}")
        for t in THRESHOLDS:
            m = binary_metrics(gold, [f or p >= t for f, p in zip(fired, probs)])
            print(f"  rules or head >= {t:.2f}: recall {m['recall']:.3f} precision {m['precision']:.3f}")
        if args.errors and name == "public_dev":
            for r, g, f, p in zip(rows, gold, fired, probs):
                if g != f:
                    print(f"  {'MISS' if g else 'FALSE'} {r['id']} head={p:.2f} | {' '.join(r['text'].split())[:200]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
