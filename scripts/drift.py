"""Drift report: what agents corrected, by field, week and category, and the churn/upsell alerts.

    python -m scripts.drift [--out eval_out/drift]

Reads the KB's corrections log and the ticket store (data/tickets.db); writes report.json,
report.md and weekly.png."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from triage.config import PROJECT_ROOT, get_settings
from triage.drift import alerts, drift_report, plot_weekly


def markdown(report: dict, guardian: list, opportunity: list) -> str:
    lines = ["# Drift report", "", f"{report['resolved_with_prediction']} tickets resolved with a prediction, "
             f"{report['corrected']} corrected; {report['added_without_prediction']} added without one.", "",
             "## Most-corrected patterns", "", "| field | predicted | corrected | count |", "|---|---|---|---|"]
    lines += [f"| {p['field']} | {p['predicted']} | {p['corrected']} | {p['count']} |" for p in report["patterns"]]
    for field, cells in report["confusion"].items():
        if cells:
            lines += ["", f"## Confusion: {field} (predicted → corrected)", "", "| predicted | corrected | count |",
                      "|---|---|---|"]
            lines += [f"| {c['predicted']} | {c['corrected']} | {c['count']} |" for c in cells]
    lines += ["", "## By week", "", "| week | corrected | resolved | rate |", "|---|---|---|---|"]
    lines += [f"| {w} | {v['corrected']} | {v['resolved']} | {v['rate']} |" for w, v in report["by_week"].items()]
    lines += ["", "## By category (final)", "", "| category | corrected | resolved | rate |", "|---|---|---|---|"]
    lines += [f"| {c} | {v['corrected']} | {v['resolved']} | {v['rate']} |" for c, v in report["by_category"].items()]
    for title, rows in (("Guardian: churn risk", guardian), ("Opportunity: upsell", opportunity)):
        lines += ["", f"## {title}", "", "| ticket | received | account value | phrases |", "|---|---|---|---|"]
        lines += [f"| {a['id']} | {a['received_at']} | {a['account_value'] or ''} | "
                  f"{'; '.join(f'{k}: {v}' for k, v in a['phrases'].items())} |" for a in rows]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(PROJECT_ROOT / "eval_out" / "drift"))
    args = ap.parse_args(argv)
    from triage.ticket_store import TicketStore
    from triage.wiring import open_kb

    settings = get_settings()
    report = drift_report(open_kb(settings, threads=1).corrections())
    rows = TicketStore(settings.store_path).queue(limit=100_000) if settings.store_path.exists() else []
    guardian, opportunity = alerts(rows, "churn"), alerts(rows, "upsell")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps({**report, "guardian": guardian, "opportunity": opportunity},
                                                indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "report.md").write_text(markdown(report, guardian, opportunity), encoding="utf-8")
    if report["by_week"]:
        plot_weekly(report).savefig(out / "weekly.png", dpi=100)
    print(markdown(report, guardian, opportunity))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
