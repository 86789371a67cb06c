"""Evaluate the triage pipeline against any labelled CSV or JSONL.

    python -m scripts.evaluate DATA --text-cols subject,body \
        --map category=queue,urgency=priority,escalation=escalated,language=lang \
        [--label-map labels.json] [--mode evidence,hybrid] [--limit 500] [--seed 0] [--out DIR]
    python -m scripts.evaluate --config eval/configs/banking77.json

Writes metrics.json (keyed by mode, then field), report.md, confusion-matrix PNGs and
{mode}_predictions.jsonl (gold, decided, deciding layer and summary per row) into --out.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from tqdm import tqdm

from triage.datasets import load_rows, parse_map
from scripts.metrics import binary_metrics, by_group, classification_metrics, percentile, review_metrics
from triage.config import PROJECT_ROOT, get_settings
from triage.labelers import LABELERS, MODES
from triage.wiring import build_triager, open_kb, run_in_batches

NEGATIVE = {"angry": "negative", "frustrated": "negative", "neutral": "neutral", "positive": "positive"}


def stratified_sample(rows, limit: int | None, seed: int, key: str | None):
    if not limit or limit >= len(rows):
        return rows
    rng = random.Random(seed)
    if not key:
        return rng.sample(rows, limit)
    groups = defaultdict(list)
    for r in rows:
        groups[r.labels.get(key)].append(r)
    picked = []
    for g in sorted(groups, key=str):
        members = groups[g]
        rng.shuffle(members)
        picked += members[: max(1, round(limit * len(members) / len(rows)))]
    rng.shuffle(picked)
    return picked[:limit]


def predict(triager, rows, desc: str, batch_size: int = 64):
    """Triage every row (in batches: embeddings are computed per batch). Latency per ticket is
    the sum of its stage timings; tickets/s is wall-clock throughput."""
    preds, failures, latencies = [], [], []
    start = time.perf_counter()
    with tqdm(total=len(rows), desc=desc, unit="ticket", leave=False) as bar:
        for chunk, results in run_in_batches(triager, rows, batch_size):
            for row, result in zip(chunk, results):
                if isinstance(result, Exception):
                    failures.append({"id": row.id, "reason": f"{type(result).__name__}: {result}"})
                    preds.append(None)
                else:
                    latencies.append(result.total_seconds)
                    preds.append(result)
            bar.update(len(chunk))
    return preds, failures, latencies, time.perf_counter() - start


FIELD_ATTRS = (("category", "primary_category"), ("urgency", "urgency"), ("sentiment", "sentiment"))


def breakdown(ok: list, column: str) -> dict:
    """Per value of a data column (e.g. register, language): n and accuracy per labelled field,
    escalation recall / precision."""
    groups = defaultdict(list)
    for r, p in ok:
        groups[str(r.raw.get(column) or r.labels.get(column) or "unknown")].append((r, p))
    out = {}
    for value, members in sorted(groups.items()):
        entry: dict = {"n": len(members)}
        for fld, attr in FIELD_ATTRS:
            pairs = [(r.labels[fld], getattr(p.classification, attr)) for r, p in members
                     if r.labels.get(fld) not in (None, "")]
            if pairs:
                entry[fld] = sum(t == g for t, g in pairs) / len(pairs)
        esc = [(r.labels["escalation"], p.classification.escalation_risk) for r, p in members
               if r.labels.get("escalation") is not None]
        if esc:
            entry["escalation"] = binary_metrics([t for t, _ in esc], [g for _, g in esc])
        out[value] = entry
    return out


def score(rows, preds, latencies, wall: float, breakdowns: tuple = ()) -> dict:
    ok = [(r, p) for r, p in zip(rows, preds) if p is not None]
    out: dict = {"n": len(ok)}
    langs = [r.labels.get("language") or p.language for r, p in ok]
    for fld, attr in FIELD_ATTRS:
        labelled = [(r, p, lang) for (r, p), lang in zip(ok, langs) if r.labels.get(fld) not in (None, "")]
        if not labelled:
            continue
        truth = [r.labels[fld] for r, _, _ in labelled]
        guess = [getattr(p.classification, attr) for _, p, _ in labelled]
        if fld == "sentiment" and set(truth) <= {"negative", "neutral", "positive"}:
            guess = [NEGATIVE[g] for g in guess]
        metrics = classification_metrics(truth, guess)
        metrics["by_language"] = by_group([lang for _, _, lang in labelled], truth, guess)
        metrics.update(review_metrics([p.classification.needs_human_review for _, p, _ in labelled], truth, guess))
        if fld == "category":
            top2 = [t in (p.classification.primary_category, p.classification.secondary_category)
                    for (_, p, _), t in zip(labelled, truth)]
            metrics["top2_accuracy"] = sum(top2) / len(top2)
        out[fld] = metrics
    esc = [(r.labels["escalation"], p.classification.escalation_risk, lang == "en")
           for (r, p), lang in zip(ok, langs) if r.labels.get("escalation") is not None]
    if esc:
        out["escalation"] = binary_metrics([t for t, _, _ in esc], [g for _, g, _ in esc])
        other = [(t, g) for t, g, english in esc if not english]
        if other:
            out["escalation"]["non_english"] = binary_metrics(*map(list, zip(*other)))
    out["review_rate"] = sum(p.classification.needs_human_review for _, p in ok) / len(ok) if ok else None
    # category accuracy per language when categories are labelled, else just the counts
    out["by_language"] = (out["category"]["by_language"] if "category" in out
                          else by_group(langs, [1] * len(ok), [1] * len(ok)))
    out["breakdowns"] = {column: breakdown(ok, column) for column in breakdowns}
    sources = [p.decisions["summary"].source for _, p in ok if "summary" in p.decisions]
    out["summary_sources"] = {src: sources.count(src) for src in sorted(set(sources))}
    out["latency_s"] = {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95)}
    out["tickets_per_s"] = len(ok) / wall if wall else None
    return out


def prediction_record(row, result) -> dict:
    """One line of {mode}_predictions.jsonl: the gold labels beside what the pipeline decided,
    which layer decided each field, and the summary (for reading, e.g. whether it names the need)."""
    if result is None:
        return {"id": row.id, "gold": row.labels, "failed": True}
    c = result.classification
    return {"id": row.id, "gold": row.labels,
            "predicted": {"category": c.primary_category, "urgency": c.urgency, "sentiment": c.sentiment,
                          "escalation": c.escalation_risk, "needs_human_review": c.needs_human_review},
            "sources": {k: d.source for k, d in result.decisions.items()}, "summary": c.summary}


def plot_confusion(metrics: dict, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, cm = metrics["labels"], metrics["confusion"]
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(labels), 1.0 + 0.8 * len(labels)))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    peak = max(max(r) for r in cm) or 1
    for i, row in enumerate(cm):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > peak / 2 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fmt(v) -> str:
    return "—" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def write_report(out_dir: Path, name: str, results: dict, bad, failures_by_mode, n_total: int) -> None:
    lines = [f"# Evaluation: {name}", "", f"Rows read: {n_total}; unreadable rows: {len(bad)}.", ""]
    lines += ["| mode | n | category acc | category macro-F1 | urgency acc | sentiment acc | escalation recall / precision | review rate | latency p50 / p95 (s) | tickets/s |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for mode, m in results.items():
        esc = m.get("escalation", {})
        lines.append(f"| {mode} | {m['n']} | {fmt(m.get('category', {}).get('accuracy'))} | "
                     f"{fmt(m.get('category', {}).get('macro_f1'))} | {fmt(m.get('urgency', {}).get('accuracy'))} | "
                     f"{fmt(m.get('sentiment', {}).get('accuracy'))} | {fmt(esc.get('recall'))} / {fmt(esc.get('precision'))} | "
                     f"{fmt(m.get('review_rate'))} | {fmt(m['latency_s']['p50'])} / {fmt(m['latency_s']['p95'])} | "
                     f"{fmt(m.get('tickets_per_s'))} |")
    for mode, m in results.items():
        lines += ["", f"## {mode}"]
        for fld in ("category", "urgency", "sentiment"):
            if fld not in m:
                continue
            fm = m[fld]
            lines += ["", f"### {fld}: accuracy {fmt(fm['accuracy'])}, macro-F1 {fmt(fm['macro_f1'])}, "
                          f"review rate {fmt(fm['review_rate'])}, accuracy on rows not flagged {fmt(fm['accuracy_not_flagged'])}",
                      "", "| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
            for label, pc in fm["per_class"].items():
                lines.append(f"| {label} | {fmt(pc['precision'])} | {fmt(pc['recall'])} | {fmt(pc['f1'])} | {pc['support']} |")
            lines += ["", "| language | n | accuracy |", "|---|---|---|"]
            lines += [f"| {lang} | {v['n']} | {fmt(v['accuracy'])} |" for lang, v in fm["by_language"].items()]
            lines += ["", f"![{mode} {fld} confusion]({mode}_{fld}_confusion.png)"]
        if m.get("summary_sources"):
            lines += ["", "summary written by: " + ", ".join(f"{src} {n}" for src, n in m["summary_sources"].items())
                      + f" (every row in {mode}_predictions.jsonl)"]
        if "escalation" in m:
            e = m["escalation"]
            lines += ["", f"### escalation: recall {fmt(e['recall'])}, precision {fmt(e['precision'])} "
                          f"(tp {e['tp']}, fp {e['fp']}, fn {e['fn']})"]
            if "non_english" in e:
                o = e["non_english"]
                lines += [f"non-English rows ({o['n']}, {o['positives']} escalations): recall {fmt(o['recall'])}, "
                          f"precision {fmt(o['precision'])}"]
        for column, groups in m.get("breakdowns", {}).items():
            lines += ["", f"### by {column}", "", f"| {column} | n | category | urgency | sentiment | escalation recall / precision |",
                      "|---|---|---|---|---|---|"]
            for value, g in groups.items():
                e = g.get("escalation", {})
                lines.append(f"| {value} | {g['n']} | {fmt(g.get('category'))} | {fmt(g.get('urgency'))} | "
                             f"{fmt(g.get('sentiment'))} | {fmt(e.get('recall'))} / {fmt(e.get('precision'))} |")
        if failures_by_mode.get(mode):
            lines += ["", f"Tickets rejected by the pipeline: {len(failures_by_mode[mode])}"]
            lines += [f"- {f['id']}: {f['reason']}" for f in failures_by_mode[mode][:50]]
    if bad:
        lines += ["", "## Unreadable rows", ""] + [f"- {b.reason}" for b in bad[:200]]
        if len(bad) > 200:
            lines.append(f"- … and {len(bad) - 200} more (all in bad_rows.txt)")
    (out_dir / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_config(path: str | None) -> dict:
    if not path:
        return {}
    with open(path, encoding="utf-8") as fh:
        config = json.load(fh)
    config.setdefault("name", Path(path).stem)
    return config


def split_filter(config: dict):
    """Keeps only the rows of the config's curated split (kb/dev/test), when it names one."""
    if not config.get("curated_split"):
        return None
    from kb.splits import curated_split

    wanted = config["curated_split"]
    return lambda rec: curated_split(str(rec.get("id"))) == wanted


def config_rows(config: dict) -> tuple[list, list]:
    """(rows, bad rows) of an evaluation config, as `run` reads them without command-line overrides."""
    data = config["data"] if Path(config["data"]).is_absolute() else str(PROJECT_ROOT / config["data"])
    label_values = config.get("label_map", {})
    if isinstance(label_values, str):
        label_values = json.loads((PROJECT_ROOT / label_values).read_text(encoding="utf-8"))
    return load_rows(data, config.get("text_cols", ["text"]), config.get("map", {}), label_values,
                     config.get("id_col"), split_filter(config))


def run(args) -> dict:
    config = load_config(args.config)
    data = args.data or config.get("data")
    if not data:
        raise SystemExit("error: give DATA or --config")
    data = data if Path(data).is_absolute() or Path(data).exists() else str(PROJECT_ROOT / data)
    text_cols = (args.text_cols or ",".join(config.get("text_cols", ["text"]))).split(",")
    label_cols = parse_map(args.map) if args.map else config.get("map", {})
    label_values = config.get("label_map", {})
    if args.label_map:
        with open(args.label_map, encoding="utf-8") as fh:
            label_values = json.load(fh)
    if isinstance(label_values, str):
        with open(PROJECT_ROOT / label_values, encoding="utf-8") as fh:
            label_values = json.load(fh)
    rows, bad = load_rows(data, text_cols, label_cols, label_values, config.get("id_col", args.id_col),
                          split_filter(config))
    n_total = len(rows) + len(bad)
    limit = args.limit if args.limit is not None else config.get("limit")
    strat = "category" if "category" in label_cols else next(iter(label_cols), None)
    rows = stratified_sample(rows, limit, args.seed, strat)
    name = config.get("name") or Path(data).stem
    out_dir = Path(args.out or PROJECT_ROOT / "eval_out" / name)
    out_dir.mkdir(parents=True, exist_ok=True)

    settings = get_settings(model=args.model)
    modes = [m.strip() for m in (args.mode or config.get("mode") or settings.mode).split(",")]
    for m in modes:
        if m not in MODES:
            raise SystemExit(f"error: unknown mode {m!r}; available: {', '.join(MODES)}")
    kb = None
    results, failures_by_mode = {}, {}
    for mode in modes:
        if LABELERS[mode].needs_kb and kb is None:
            kb = open_kb(settings)
        triager = build_triager(settings, mode=mode, kb=kb)
        preds, failures, latencies, wall = predict(triager, rows, f"{name} [{mode}]")
        results[mode] = score(rows, preds, latencies, wall, tuple(config.get("breakdowns", ())))
        results[mode]["unreadable_rows"] = len(bad)
        failures_by_mode[mode] = failures
        with (out_dir / f"{mode}_predictions.jsonl").open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(prediction_record(r, p), ensure_ascii=False, default=str) + "\n"
                          for r, p in zip(rows, preds))
        for fld in ("category", "urgency", "sentiment"):
            if fld in results[mode]:
                plot_confusion(results[mode][fld], f"{name} {mode}: {fld}", out_dir / f"{mode}_{fld}_confusion.png")
    (out_dir / "metrics.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (out_dir / "bad_rows.txt").write_text("\n".join(b.reason for b in bad) + ("\n" if bad else ""), encoding="utf-8")
    write_report(out_dir, name, results, bad, failures_by_mode, n_total)
    return {"out": str(out_dir), "results": results, "bad_rows": len(bad)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Evaluate triage against labelled data.")
    parser.add_argument("data", nargs="?", help="CSV or JSONL file (or glob)")
    parser.add_argument("--config", help="JSON evaluation config (see eval/configs)")
    parser.add_argument("--text-cols", help="comma-separated text columns, e.g. subject,body")
    parser.add_argument("--map", help="field=COLUMN pairs: category, urgency, sentiment, escalation, language")
    parser.add_argument("--label-map", help="JSON file {field: {raw value: taxonomy value}}")
    parser.add_argument("--id-col", help="column with a row id")
    parser.add_argument("--mode", help=f"{'|'.join(MODES)}, comma-separated for a side-by-side table")
    parser.add_argument("--model", help="GGUF path or packaged model name")
    parser.add_argument("--limit", type=int, help="stratified sample of this many rows")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="output folder (default eval_out/NAME)")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    summary = run(args)
    for mode, m in summary["results"].items():
        parts = [f"{f} acc {m[f]['accuracy']:.3f}" for f in ("category", "urgency", "sentiment") if f in m]
        if "escalation" in m:
            parts.append(f"escalation recall {fmt(m['escalation']['recall'])} precision {fmt(m['escalation']['precision'])}")
        print(f"[{mode}] n={m['n']} " + ", ".join(parts) + f", p50 {fmt(m['latency_s']['p50'])} s, {fmt(m['tickets_per_s'])} tickets/s")
    print(f"unreadable rows: {summary['bad_rows']}; report: {summary['out']}/report.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
