"""The Insights tab: corrections drift and the Guardian (churn) / Opportunity (upsell) alerts."""
from __future__ import annotations

import gradio as gr

from triage.ui.context import UIContext

ALERT_HEADERS = ["ticket", "received", "account value", "phrases that fired", "summary"]


def insights(ctx: UIContext):
    """The tab's data: corrections drift (patterns, by week, by category, a plot) and the alert
    lists from the ticket store."""
    from triage.drift import alerts, drift_report, plot_weekly

    report = drift_report(ctx.kb.corrections() if ctx.kb is not None else [])
    rows = ctx.store.queue(limit=100_000) if ctx.store is not None else []

    def alert_rows(kind: str) -> list[list]:
        return [[a["id"], a["received_at"], a["account_value"],
                 "; ".join(f"{k}: {v}" for k, v in a["phrases"].items()), a["summary"]] for a in alerts(rows, kind)]

    summary = (f"{report['resolved_with_prediction']} resolved with a prediction, {report['corrected']} corrected, "
               f"{report['added_without_prediction']} added without one.")
    confusion = [[f, c["predicted"], c["corrected"], c["count"]] for f, cells in report["confusion"].items() for c in cells]
    return (summary, [[p["field"], p["predicted"], p["corrected"], p["count"]] for p in report["patterns"]], confusion,
            [[w, v["corrected"], v["resolved"], v["rate"]] for w, v in report["by_week"].items()],
            [[c, v["corrected"], v["resolved"], v["rate"]] for c, v in report["by_category"].items()],
            plot_weekly(report) if report["by_week"] else None, alert_rows("churn"), alert_rows("upsell"))


def build(ctx: UIContext) -> None:
    with gr.Tab("Insights"):
        refresh = gr.Button("Refresh", elem_id="insights-refresh")
        summary = gr.Textbox(label="Corrections", interactive=False, elem_id="insights-summary")
        patterns = gr.Dataframe(headers=["field", "predicted", "corrected", "count"], label="Most-corrected patterns")
        confusion = gr.Dataframe(headers=["field", "predicted", "corrected", "count"],
                                 label="Per-field confusion (every resolved ticket, corrected or not)")
        with gr.Row():
            weekly = gr.Dataframe(headers=["week", "corrected", "resolved", "rate"], label="By week")
            by_category = gr.Dataframe(headers=["category", "corrected", "resolved", "rate"], label="By category")
        plot = gr.Plot(label="Correction rate by week")
        guardian = gr.Dataframe(headers=ALERT_HEADERS, label="Guardian: churn risk (newest first)", wrap=True)
        opportunity = gr.Dataframe(headers=ALERT_HEADERS, label="Opportunity: upsell (newest first)", wrap=True)
        refresh.click(lambda: insights(ctx), None,
                      [summary, patterns, confusion, weekly, by_category, plot, guardian, opportunity])
