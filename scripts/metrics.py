"""Metric computation for the evaluation (pure functions; unit-tested by hand-computed values)."""
from __future__ import annotations

from collections import defaultdict

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


def percentile(values, q: float) -> float | None:
    return float(np.percentile(np.asarray(values, dtype=float), q * 100)) if len(values) else None


def classification_metrics(y_true: list, y_pred: list, labels: list | None = None) -> dict:
    """Accuracy, macro-F1 over the labels present in truth or prediction, per-class P/R/F1/support."""
    if not y_true:
        return {"n": 0}
    labels = labels or sorted({*y_true, *y_pred}, key=str)
    present = [l for l in labels if l in set(y_true) or l in set(y_pred)]
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=present, zero_division=0)
    return {
        "n": len(y_true),
        "accuracy": float(np.mean([a == b for a, b in zip(y_true, y_pred)])),
        "macro_f1": float(np.mean(f)) if len(f) else 0.0,
        "per_class": {str(l): {"precision": float(pp), "recall": float(rr), "f1": float(ff), "support": int(ss)}
                      for l, pp, rr, ff, ss in zip(present, p, r, f, s)},
        "labels": [str(l) for l in present],
        "confusion": confusion_matrix(y_true, y_pred, labels=present).tolist(),
    }


def binary_metrics(y_true: list[bool], y_pred: list[bool]) -> dict:
    tp = sum(1 for t, p in zip(y_true, y_pred) if t and p)
    fp = sum(1 for t, p in zip(y_true, y_pred) if not t and p)
    fn = sum(1 for t, p in zip(y_true, y_pred) if t and not p)
    return {"n": len(y_true), "positives": tp + fn, "tp": tp, "fp": fp, "fn": fn,
            "recall": tp / (tp + fn) if tp + fn else None,
            "precision": tp / (tp + fp) if tp + fp else None,
            "accuracy": float(np.mean([t == p for t, p in zip(y_true, y_pred)])) if y_true else None}


def by_group(groups: list, y_true: list, y_pred: list) -> dict:
    buckets = defaultdict(lambda: ([], []))
    for g, t, p in zip(groups, y_true, y_pred):
        buckets[g][0].append(t)
        buckets[g][1].append(p)
    return {str(g): {"n": len(t), "accuracy": float(np.mean([a == b for a, b in zip(t, p)]))}
            for g, (t, p) in sorted(buckets.items(), key=lambda kv: str(kv[0]))}


def review_metrics(flags: list[bool], y_true: list, y_pred: list) -> dict:
    kept = [(t, p) for f, t, p in zip(flags, y_true, y_pred) if not f]
    return {"review_rate": float(np.mean(flags)) if flags else None,
            "accuracy_not_flagged": float(np.mean([t == p for t, p in kept])) if kept else None,
            "n_not_flagged": len(kept)}
