"""Run every shipped evaluation config and write the README's results table.

    python -m scripts.eval_all [--quick]     (make eval)

Evidence mode on every config; on real-dev (real customer messages, evaluation only) and the
curated test split also hybrid, and llm on a stratified sample of the curated test (~1 s per ticket). Writes eval_out/<config>/ and eval_out/summary.md."""
from __future__ import annotations

import argparse
import json
import sys
from types import SimpleNamespace

from scripts.evaluate import fmt, run
from triage.config import PROJECT_ROOT

PLAN = [
    ("real_dev", "evidence,hybrid", None),
    ("curated_test", "evidence,hybrid", None),
    ("realstyle_test", "evidence,hybrid", None),
    ("curated_test", "llm", 120),
    ("banking77_test", "evidence", None),
    ("nlbse24_test", "evidence", None),
    ("multilingual_tickets", "evidence", None),
    ("escalation_public_test", "evidence", None),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="evidence mode only, 200 rows per config")
    args = parser.parse_args(argv)
    out_root = PROJECT_ROOT / "eval_out"
    rows = []
    for config, modes, limit in PLAN:
        if args.quick and modes != "evidence" and "evidence" not in modes:
            continue
        modes = "evidence" if args.quick else modes
        limit = 200 if args.quick else limit
        suffix = "" if limit is None else f"_n{limit}"
        ns = SimpleNamespace(config=str(PROJECT_ROOT / "eval" / "configs" / f"{config}.json"), data=None,
                             text_cols=None, map=None, label_map=None, id_col=None, mode=modes, model=None,
                             limit=limit, seed=0, out=str(out_root / f"{config}{suffix}_{modes.replace(',', '_')}"))
        summary = run(ns)
        for mode, m in summary["results"].items():
            rows.append((config + (f" (sample {limit})" if limit else ""), mode, m))
    lines = ["| data | mode | n | category acc | macro-F1 | urgency acc | sentiment acc | escalation recall / precision "
             "| non-English category acc | review rate | p50 s | tickets/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, mode, m in rows:
        cat, esc = m.get("category", {}), m.get("escalation", {})
        non_en = [v for lang, v in cat.get("by_language", {}).items() if lang not in ("en", "unknown")]
        non_en_acc = sum(v["accuracy"] * v["n"] for v in non_en) / sum(v["n"] for v in non_en) if non_en else None
        lines.append(f"| {name} | {mode} | {m['n']} | {fmt(cat.get('accuracy'))} | {fmt(cat.get('macro_f1'))} | "
                     f"{fmt(m.get('urgency', {}).get('accuracy'))} | {fmt(m.get('sentiment', {}).get('accuracy'))} | "
                     f"{fmt(esc.get('recall'))} / {fmt(esc.get('precision'))} | {fmt(non_en_acc)} | "
                     f"{fmt(m.get('review_rate'))} | {fmt(m['latency_s']['p50'])} | {fmt(m.get('tickets_per_s'))} |")
    table = "\n".join(lines)
    (out_root / "summary.md").write_text(table + "\n", encoding="utf-8")
    (out_root / "summary.json").write_text(json.dumps([{"data": n, "mode": mo, **m} for n, mo, m in rows],
                                                      indent=2, default=str), encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
