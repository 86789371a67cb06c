"""Drift: what agents corrected, over time. Reads the KB's corrections log (each resolved ticket's
original prediction and final labels, with its time) and the ticket store's churn/upsell alerts.
Used by the Insights tab and `python -m scripts.drift`."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime

FIELDS = ("category", "urgency", "sentiment", "escalation")


def _week(at: str) -> str:
    year, week, _ = datetime.fromisoformat(at).isocalendar()
    return f"{year}-W{week:02d}"


def drift_report(corrections: list[dict], top: int = 15) -> dict:
    """Per-field confusion (predicted -> corrected), the correction rate by week and by final
    category, and the most-corrected patterns. Entries without an original prediction (tickets
    added by hand to the KB) are counted apart."""
    judged = [c for c in corrections if c.get("original")]
    confusion = {f: Counter() for f in FIELDS}
    patterns: Counter = Counter()
    by_week, by_category = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for c in judged:
        original, final = c["original"], c.get("final") or {}
        changed = False
        for f in FIELDS:
            if f in original and f in final:
                pair = (str(original[f]), str(final[f]))
                confusion[f][pair] += 1
                if pair[0] != pair[1]:
                    patterns[(f, *pair)] += 1
                    changed = True
        for key, bucket in ((_week(c["at"]), by_week), (str(final.get("category")), by_category)):
            bucket[key][0] += changed
            bucket[key][1] += 1
    rate = lambda d: {k: {"corrected": v[0], "resolved": v[1], "rate": round(v[0] / v[1], 3)}  # noqa: E731
                      for k, v in sorted(d.items())}
    return {
        "resolved_with_prediction": len(judged), "added_without_prediction": len(corrections) - len(judged),
        "corrected": sum(1 for c in judged if any(c["original"].get(f) != (c.get("final") or {}).get(f)
                                                  for f in FIELDS if f in c["original"])),
        "by_week": rate(by_week), "by_category": rate(by_category),
        "patterns": [{"field": f, "predicted": a, "corrected": b, "count": n} for (f, a, b), n in patterns.most_common(top)],
        "confusion": {f: [{"predicted": a, "corrected": b, "count": n} for (a, b), n in sorted(cm.items())]
                      for f, cm in confusion.items()},
    }


def alerts(store_rows: list[dict], kind: str) -> list[dict]:
    """Churn-risk ('churn', the Guardian list) or upsell ('upsell', the Opportunity list) tickets of
    the store, newest first, with the phrases that fired and the account value."""
    out = []
    for row in store_rows:
        result = json.loads(row["result"]) if isinstance(row.get("result"), str) else row.get("result") or {}
        signal = result.get(kind) or {}
        if signal.get("present"):
            out.append({"id": row["id"], "received_at": row.get("received_at"), "source": row.get("source"),
                        "account_value": signal.get("account_value"), "phrases": signal.get("triggers") or {},
                        "summary": (result.get("classification") or {}).get("summary")})
    return sorted(out, key=lambda a: a["received_at"] or "", reverse=True)


def plot_weekly(report: dict):
    """Correction rate by week (a matplotlib figure)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    weeks = list(report["by_week"])
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(weeks, [report["by_week"][w]["rate"] for w in weeks], marker="o")
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of resolved tickets corrected")
    ax.set_title("Corrections by week")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
