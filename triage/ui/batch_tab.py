"""The Batch tab: triage an uploaded CSV / JSONL, download the results, see the distributions."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import gradio as gr

from triage.batch import flat_record
from triage.datasets import load_rows
from triage.labelers import MODES
from triage.ui.context import UIContext
from triage.wiring import build_triager, run_in_batches

SHOWN_COLUMNS = ("id", "primary_category", "urgency", "sentiment", "escalation_risk", "needs_human_review", "summary")


class BatchHandlers:
    def __init__(self, ctx: UIContext):
        self.ctx = ctx
        self._other_triagers: dict = {}

    def batch(self, file, text_cols, mode, progress=gr.Progress()):
        if file is None:
            raise gr.Error("Upload a CSV or JSONL file first.")
        cols = [c.strip() for c in (text_cols or "text").split(",") if c.strip()]
        upload = Path(file if isinstance(file, str) else file.name)
        try:
            rows, bad = load_rows(str(upload), cols)
        except (FileNotFoundError, UnicodeDecodeError, ValueError) as exc:
            raise gr.Error(f"Cannot read the file: {exc}")
        finally:
            upload.unlink(missing_ok=True)  # Gradio keeps uploads on disk: raw tickets must not stay there
        records, failures = self._run(self._triager(mode), rows, progress)
        import pandas as pd

        frame = pd.DataFrame(records)
        downloads = self._write(frame, records)
        note = (f"{len(records)} triaged, {len(failures)} rejected, {len(bad)} unreadable rows."
                + ("\n" + "\n".join(failures[:20] + [b.reason for b in bad[:20]]) if failures or bad else ""))
        shown = frame[[c for c in SHOWN_COLUMNS if c in frame]] if len(frame) else frame
        return shown, downloads, note, *charts(frame)

    @staticmethod
    def _run(triager, rows, progress) -> tuple[list, list]:
        records, failures, done = [], [], 0
        progress(0, desc="triaging")
        for chunk, results in run_in_batches(triager, rows, 32):
            for row, res in zip(chunk, results):
                if isinstance(res, Exception):
                    failures.append(f"{row.id}: {res}")
                else:
                    records.append(flat_record(row.id, res))
            done += len(chunk)
            progress(min(1.0, done / max(1, len(rows))), desc=f"{done} / {len(rows)} tickets")
        return records, failures

    @staticmethod
    def _write(frame, records) -> list[str]:
        out_dir = Path(tempfile.mkdtemp(prefix="triage_batch_"))
        csv_path, jsonl_path = out_dir / "triage_results.csv", out_dir / "triage_results.jsonl"
        frame.to_csv(csv_path, index=False)
        jsonl_path.write_text("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records),
                              encoding="utf-8")
        return [str(csv_path), str(jsonl_path)]

    def _triager(self, mode):
        triager = self.ctx.triager
        if mode == triager.mode:
            return triager
        if mode not in self._other_triagers:
            self._other_triagers[mode] = build_triager(triager.settings, mode=mode, kb=triager.kb, llm=triager.llm)
        return self._other_triagers[mode]


def charts(frame):
    """category × urgency counts, and the sentiment and escalation distributions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs = []
    fig, ax = plt.subplots(figsize=(5, 3))
    if len(frame):
        table = frame.pivot_table(index="primary_category", columns="urgency", values="id", aggfunc="count", fill_value=0)
        ax.imshow(table.values, cmap="Blues")
        ax.set_xticks(range(len(table.columns)), table.columns)
        ax.set_yticks(range(len(table.index)), table.index)
        for i in range(table.shape[0]):
            for j in range(table.shape[1]):
                ax.text(j, i, int(table.values[i, j]), ha="center", va="center")
    ax.set_title("category × urgency")
    fig.tight_layout()
    figs.append(fig)
    for column, title in (("sentiment", "sentiment"), ("escalation_risk", "escalation risk")):
        fig, ax = plt.subplots(figsize=(4, 2.6))
        if len(frame):
            frame[column].astype(str).value_counts().plot.bar(ax=ax, color="#4a7bd0")
        ax.set_title(title)
        fig.tight_layout()
        figs.append(fig)
    return figs


def build(ctx: UIContext) -> None:
    handlers = BatchHandlers(ctx)
    with gr.Tab("Batch"):
        upload = gr.File(label="CSV or JSONL", file_types=[".csv", ".jsonl", ".json"])
        with gr.Row():
            cols = gr.Textbox(label="Text column(s), comma-separated", value="text")
            mode = gr.Dropdown(list(MODES), value="evidence", label="Mode")
        run_batch = gr.Button("Triage file", variant="primary")
        batch_note = gr.Textbox(label="Result", interactive=False)
        batch_table = gr.Dataframe(label="Results")
        downloads = gr.File(label="Download CSV / JSONL", file_count="multiple")
        with gr.Row():
            chart1, chart2, chart3 = gr.Plot(), gr.Plot(), gr.Plot()
        run_batch.click(handlers.batch, [upload, cols, mode], [batch_table, downloads, batch_note, chart1, chart2, chart3])
