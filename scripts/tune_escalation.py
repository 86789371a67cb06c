"""Choose the escalation rules and the evidence head's threshold, on *dev* rows only.

    python -m scripts.tune_escalation [--errors]

Two dev sets: the curated dev split and the dev half of the hand-labelled public set
(eval/data/escalation_public/dev.jsonl). Prints recall / precision of the phrase rules alone
and of rules OR head >= threshold for a grid of thresholds; --errors lists the public dev
misses; --kb-cv estimates the head's own worth on the knowledge-base split by 5-fold
cross-validation (rows the rules were never written from: once the rules have been fitted to
the dev rows, dev can no longer show what the head adds on unseen tickets). The chosen
threshold is written into triage/decide.py by hand. The test halves are never read here."""
from __future__ import annotations

import argparse
import json

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
    from triage.schema import Ticket
    from triage.wiring import build_triager

    triager = build_triager(get_settings(), mode="evidence")
    texts = [triager.prepare(Ticket(text=r["text"])).masked for r in rows]
    return texts, [e.fields["escalation"].probs.get(True, 0.0) for e in triager.evidence.assess_many(texts)]


def kb_cross_validation(folds: int = 5) -> None:
    """Rules OR head >= t on held-out folds of the KB's escalation-labelled rows; the head is
    refitted per fold exactly as triage.heads.fit_heads fits it (LR on the vectors, LR on
    TF-IDF, mixed by the tuning file's evidence head weights)."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    from triage.config import load_tuning_file
    from triage.heads import fit_lexical_head, fit_vector_head, lexical_vectorizer
    from triage.wiring import open_kb

    kb = open_kb(get_settings(), threads=2)
    vectors, cols = kb.labelled(("escalation", "text"))
    keep = [i for i, v in enumerate(cols["escalation"]) if v is not None]
    x, texts = vectors[keep], [cols["text"][i] for i in keep]
    y = np.array([bool(cols["escalation"][i]) for i in keep])
    fired = np.array([bool(escalation_signals(t)) for t in texts])
    probs = np.zeros(len(y))
    w = load_tuning_file(get_settings().tuning_file).evidence.head_weights["escalation"]
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y):
        lr = fit_vector_head(x[train], y[train])
        vec = lexical_vectorizer().fit([texts[i] for i in train])
        lex = fit_lexical_head(vec.transform([texts[i] for i in train]), y[train])
        p_lr = lr.predict_proba(x[test])[:, list(lr.classes_).index(True)]
        p_lex = lex.predict_proba(vec.transform([texts[i] for i in test]))[:, list(lex.classes_).index(True)]
        probs[test] = (w["lr"] * p_lr + w["lexical"] * p_lex) / (w["lr"] + w["lexical"])
    m = binary_metrics(list(y), list(fired))
    print(f"kb split, {folds}-fold (n={len(y)}, positives={int(y.sum())}): rules alone recall {m['recall']:.3f} precision {m['precision']:.3f}")
    for t in THRESHOLDS:
        m = binary_metrics(list(y), list(fired | (probs >= t)))
        print(f"  rules or head >= {t:.2f}: recall {m['recall']:.3f} precision {m['precision']:.3f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="list public dev misses and false alarms")
    ap.add_argument("--kb-cv", action="store_true", help="also cross-validate the head on the KB split")
    args = ap.parse_args(argv)
    if args.kb_cv:
        kb_cross_validation()
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
