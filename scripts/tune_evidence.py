"""Choose how the evidence heads are mixed, on the curated *dev* split only.

    python -m scripts.tune_evidence [--write]

Prints accuracy per head and for a grid of mixing weights (category); with --write, the best
category mix (ties: the current one) goes into the `evidence` section of triage/tuning.json,
which the evidence layer reads."""
from __future__ import annotations

import argparse
import itertools
import sys
import time

import numpy as np

from kb.sources import curated_rows
from triage.config import get_settings, load_tuning_file
from triage.evidence import mix
from triage.heads import FIELDS


def collect(split: str = "dev"):
    from triage.evidence import EvidenceLayer
    from triage.wiring import open_kb

    settings = get_settings()
    layer = EvidenceLayer(open_kb(settings, threads=2), settings)
    rows = list(curated_rows(split))
    return rows, [layer.assess(r["text"]) for r in rows]


def accuracy(rows, predictions, field, lang=None) -> float:
    pairs = [(r[field], p) for r, p in zip(rows, predictions) if lang is None or (r["language"] == "en") == (lang == "en")]
    return float(np.mean([a == b for a, b in pairs])) if pairs else float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the chosen category mix to the tuning file")
    args = parser.parse_args(argv)
    rows, evidence = collect("dev")
    for field, labels in FIELDS.items():
        for head in ("lr", "knn", "zero_shot", "lr_domain", "lexical"):
            preds = [max(e.fields[field].heads.get(head) or {None: 1}, key=lambda k: (e.fields[field].heads.get(head) or {None: 1})[k]) for e in evidence]
            if any(p is not None for p in preds):
                print(f"{field:<10} {head:<9} dev acc {accuracy(rows, preds, field):.3f} "
                      f"(en {accuracy(rows, preds, field, 'en'):.3f}, non-en {accuracy(rows, preds, field, 'xx'):.3f})")
    results = []
    for w in itertools.product([0, 0.5, 1.0], repeat=5):
        if sum(w) == 0:
            continue
        weights = dict(zip(("lr", "knn", "zero_shot", "lr_domain", "lexical"), w))
        preds = [max((m := mix(e.fields["category"].heads, weights, FIELDS["category"])), key=m.get) for e in evidence]
        results.append((accuracy(rows, preds, "category"), weights))
    path = get_settings().tuning_file
    tuning = load_tuning_file(path)
    current = tuning.evidence.head_weights["category"]
    # The grid covers the frozen heads only; other heads' weights (the fine-tuned encoder's, chosen
    # by scripts.tune_decide) are kept as they are.
    results.sort(key=lambda r: (-r[0], r[1] != {h: current.get(h, 0) for h in r[1]}))
    for acc, weights in results[:8]:
        print(f"category mix {weights}: dev acc {acc:.3f}")
    if args.write:
        head_weights = {**tuning.evidence.head_weights, "category": {**current, **results[0][1]}}
        chosen = tuning.evidence.model_copy(update={
            "head_weights": head_weights,
            "chosen_by": f"scripts.tune_evidence {time.strftime('%Y-%m-%d')}: curated dev split, {len(rows)} rows"})
        path.write_text(tuning.model_copy(update={"evidence": chosen}).model_dump_json(indent=2) + "\n", encoding="utf-8")
        print(f"wrote the category mix to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
