"""Speed benchmark (`make bench`): one table of cold start (with a timer per start-up step), page-up
time, classification p50/p95 per mode, draft p50 with its breakdown, batch tickets/s per engine and
worker count, and peak memory; then the details (per-stage latency, tokens, the same token counts
through bare llama-cpp-python, prefix cache on/off).

    python -m scripts.bench --n 30 [--json] [--model PATH] [--engine-rows 300] [--skip-engines]
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time

from triage.config import PROJECT_ROOT, get_settings

SAMPLE_FILES = sorted((PROJECT_ROOT / "kb" / "seed").glob("curated_part*.jsonl"))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> dict:
    return {"p50": round(percentile(values, 0.5), 4), "p95": round(percentile(values, 0.95), 4),
            "mean": round(statistics.fmean(values), 4) if values else None}


def load_tickets(n: int, seed: int) -> list[str]:
    rows = []
    for path in SAMPLE_FILES:
        with path.open(encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    random.Random(seed).shuffle(rows)
    return [f"{r.get('subject', '')}\n{r['body']}".strip() for r in rows[:n]]


FIRST_TICKET = "My invoice shows a double charge this month."


def cold_start_seconds(model: str | None) -> tuple[float, float]:
    """(process start to the printed result, to the process's exit), through the CLI in the default
    mode; the difference is the interpreter tearing down torch, LanceDB and llama.cpp."""
    cmd = [sys.executable, "-m", "triage", FIRST_TICKET] + (["--model", model] if model else [])
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=PROJECT_ROOT)
    printed = None
    for line in proc.stdout:
        if printed is None and line.rstrip() == "}":  # the JSON result's last line
            printed = time.perf_counter() - start
    if proc.wait() != 0 or printed is None:
        raise RuntimeError("the CLI did not print a result")
    return printed, time.perf_counter() - start


def startup_probe(model: str | None) -> dict:
    """Run in a fresh process (--startup-probe): a timer per start-up step, in the CLI's order."""
    import psutil

    steps, last = {}, time.perf_counter()

    def lap(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        steps[name] = round(now - last, 3)
        last = now

    steps["interpreter_s"] = round(time.time() - psutil.Process().create_time(), 3)
    last = time.perf_counter()
    from triage import wiring

    settings = get_settings(model=model)
    lap("import_triage_s")
    llm = wiring.open_llm(settings)
    lap("load_model_s")
    kb = wiring.open_kb(settings)
    lap("open_kb_and_embedders_s")
    triager = wiring.build_triager(settings, kb=kb, llm=llm)
    lap("heads_rules_routing_s")
    triager.run(FIRST_TICKET)
    lap("first_result_s")
    return steps


def startup_steps(model: str | None) -> dict:
    cmd = [sys.executable, "-m", "scripts.bench", "--startup-probe"] + (["--model", model] if model else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=PROJECT_ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def page_up(model: str | None, timeout: float = 300) -> dict:
    """`python app.py` to the page answering, and to the first triage result through the API."""
    import os
    import socket
    import urllib.request

    from gradio_client import Client

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, **({"TRIAGE_MODEL": model} if model else {})}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            if proc.poll() is not None or time.perf_counter() - start > timeout:
                raise RuntimeError("the app did not start")
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.05)
        page = time.perf_counter() - start
        Client(url, verbose=False).predict(FIRST_TICKET, api_name="/triage")
        first = time.perf_counter() - start
    finally:
        proc.kill()  # an open API client keeps uvicorn's graceful shutdown waiting
        proc.wait()
    return {"page_up_s": round(page, 2), "first_result_via_page_api_s": round(first, 2)}


def triagers_per_mode(model, llm) -> dict:
    """{mode: Triager} for every registered mode, sharing one KB and one model."""
    from triage.labelers import MODES
    from triage.wiring import build_triager, open_kb

    settings = get_settings(model=model)
    kb = open_kb(settings)
    return {mode: build_triager(settings, mode=mode, kb=kb, llm=llm) for mode in MODES}


def classification_latency(tickets: list[str], model, llm) -> dict:
    """Single-ticket classification (no draft) per mode: p50/p95 of the whole run."""
    out = {}
    for mode, triager in triagers_per_mode(model, llm).items():
        triager.run(FIRST_TICKET)
        out[mode] = summary([triager.run(text).total_seconds for text in tickets])
    return out


def engine_throughput(rows: int, mode: str = "evidence") -> dict:
    """Batch triage of `rows` curated tickets through scripts.triage_batch's engines: local, and Ray
    with 1 and 2 workers (a local Ray started by the command). Steady-state tickets/s excludes
    model loading; wall seconds include it."""
    import csv
    import tempfile
    from pathlib import Path

    from triage.batch import triage_file

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "tickets.csv"
        with data.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "text"])
            writer.writerows([f"B{i}", text] for i, text in enumerate(load_tickets(rows, 1)))
        for engine, workers in (("local", 1), ("ray", 1), ("ray", 2)):
            report = triage_file(str(data), Path(tmp) / f"{engine}{workers}.jsonl", ["text"], "id", mode=mode,
                                 workers=workers, batch_size=32, quiet=True, engine=engine)
            out[f"{engine}_{workers}"] = {"rows": report["written"], "wall_s": report["seconds"],
                                          "steady_tickets_per_s": report["steady_tickets_per_s"]}
    return out


def bare_llama_seconds(llm, prompt: str, n_generate: int) -> float:
    """The same prompt and number of generated tokens through plain llama-cpp-python
    (its own prefix cache, no constraint, EOS disabled so exactly n tokens are produced)."""
    start = time.perf_counter()
    llm.on_worker(llm.llama.create_completion, prompt, max_tokens=n_generate, temperature=0.0,
                  logit_bias={llm.llama.token_eos(): -1e9})
    return time.perf_counter() - start


def mode_throughput(tickets: list[str], model, llm) -> dict:
    """End-to-end batch tickets/s per mode (run_many, no drafts)."""
    triagers = triagers_per_mode(model, llm)
    out = {}
    for mode, triager in triagers.items():
        batch = tickets * (8 if mode == "evidence" else 1)
        triager.run_many(batch[:8])
        start = time.perf_counter()
        results = triager.run_many(batch)
        wall = time.perf_counter() - start
        evidence = [t.seconds for r in results if not isinstance(r, Exception) for t in r.timings if t.name == "evidence"]
        out[mode] = {"tickets": len(batch), "tickets_per_s": round(len(batch) / wall, 2),
                     "evidence_stage_s": summary(evidence) if evidence else None}
    single = triagers["evidence"]
    lat = []
    for text in tickets:
        r = single.run(text)
        lat += [t.seconds for t in r.timings if t.name == "evidence"]
    out["evidence_stage_single_ticket_s"] = summary(lat)
    return out


def draft_figures(tickets: list[str], model, llm) -> dict:
    """Draft latency per strategy, full Triager.run (hybrid, with draft): composed (the default) and
    generated (every generation timed, whether or not the quality gate then replaced it)."""
    from triage.wiring import build_triager

    out = {}
    for strategy in ("composed", "generate"):
        triager = build_triager(get_settings(model=model, draft_strategy=strategy), mode="hybrid", llm=llm)
        full, draft_s, tokens, strategies, removed, replaced, parts = [], [], [], {}, 0, 0, {}
        for text in tickets:
            start = time.perf_counter()
            result = triager.run(text, with_draft=True)
            full.append(time.perf_counter() - start)
            d = result.draft
            for key, value in d.breakdown.items():
                parts.setdefault(key, []).append(value)
            strategies[d.strategy] = strategies.get(d.strategy, 0) + 1
            removed += len(d.removed)
            replaced += bool(d.replaced_checks)
            draft_s.append(d.seconds)
            if d.tokens:
                tokens.append(d.tokens)
        out[strategy] = {"full_run_with_draft_s": summary(full), "draft_s": summary(draft_s),
                         "generated_tokens": summary(tokens) if tokens else None, "strategies": strategies,
                         "replaced_by_gate": replaced, "ungrounded_items_removed": removed,
                         "breakdown_p50": {k: round(percentile(v, 0.5), 3) for k, v in parts.items()}}
    return out


def run(n: int, model: str | None, seed: int, engine_rows: int = 300, engines: bool = True) -> dict:
    from triage.classify import CLASSIFY_SYSTEM
    from triage.prompts import classify_user_message
    from triage.wiring import build_triager

    cold, cold_exit = cold_start_seconds(model)
    steps = startup_steps(model)
    page = page_up(model)
    t0 = time.perf_counter()
    triager = build_triager(get_settings(model=model), mode="llm")
    startup = time.perf_counter() - t0
    tickets = load_tickets(n, seed)
    triager.run("warm-up ticket: the app is slow")

    stages: dict[str, list[float]] = {}
    total, prompt_tokens, evaluated, generated, bare, classify = [], [], [], [], [], []
    for text in tickets:
        result = triager.run(text)
        for t in result.timings:
            stages.setdefault(t.name, []).append(t.seconds)
        total.append(result.total_seconds)
        classify.append(next(t.seconds for t in result.timings if t.name == "classify"))
        prompt_tokens.append(result.prompt_tokens)
        evaluated.append(result.prompt_tokens_evaluated)
        generated.append(result.generated_tokens)
        prompt = triager.llm.render_chat(CLASSIFY_SYSTEM, classify_user_message(result.masked_text, result.language))
        bare.append(bare_llama_seconds(triager.llm, prompt, max(1, result.generated_tokens)))

    # Before/after prefix reuse on the same tickets.
    triager.llm.reuse_prefix = False
    no_reuse = [triager.run(text).total_seconds for text in tickets[: max(5, n // 3)]]
    triager.llm.reuse_prefix = True

    gen_seconds = sum(classify)
    modes = mode_throughput(tickets, model, triager.llm)
    latency = classification_latency(tickets, model, triager.llm)
    drafts = draft_figures(tickets, model, triager.llm)
    return {
        "startup_steps_s": steps,
        "page": page,
        "classification_s": latency,
        "engines": engine_throughput(engine_rows) if engines else {},
        "modes": modes,
        "drafts": drafts,
        "model": triager.llm.name,
        "n_tickets": len(tickets),
        "threads": triager.llm.n_threads,
        "cold_start_to_first_result_s": round(cold, 3),
        "cold_start_to_exit_s": round(cold_exit, 3),
        "in_process_startup_s": round(startup, 3),
        "stages_s": {name: summary(v) for name, v in stages.items()},
        "total_s": summary(total),
        "tokens": {"prompt": summary(prompt_tokens), "prompt_evaluated": summary(evaluated),
                   "generated": summary(generated)},
        "generated_tokens_per_s": round(sum(generated) / gen_seconds, 2) if gen_seconds else None,
        "bare_llama_cpp_same_tokens_s": summary(bare),
        "overhead_vs_bare_llama_cpp": round(statistics.median(classify) / statistics.median(bare) - 1, 3),
        "prefix_reuse": {"on_total_s": summary(total[: len(no_reuse)]), "off_total_s": summary(no_reuse)},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def print_table(report: dict) -> None:
    """The one summary table (Markdown), targets from the speed issue beside the figures."""
    rows = [("cold start to first result, CLI, default mode (to its exit)",
             f"{report['cold_start_to_first_result_s']} s ({report['cold_start_to_exit_s']} s)", "≤ 8 s"),
            ("  of which: " + ", ".join(f"{k[:-2].replace('_', ' ')} {v}" for k, v in report["startup_steps_s"].items()),
             "s", ""),
            ("page up (`python app.py` to HTTP 200)", f"{report['page']['page_up_s']} s", "≤ 5 s"),
            ("first result through the page's API", f"{report['page']['first_result_via_page_api_s']} s", "")]
    for mode, s in report["classification_s"].items():
        rows.append((f"classification, {mode} mode, p50 / p95", f"{s['p50']:.2f} / {s['p95']:.2f} s",
                     "≤ 0.5 s (default mode)" if mode == "hybrid" else ""))
    for strategy, d in report["drafts"].items():
        rows.append((f"draft ({strategy}) p50", f"{d['draft_s']['p50']:.2f} s", "≤ 2 s for 120 tokens"
                     if strategy == "generate" else ""))
        if d["breakdown_p50"]:
            rows.append(("  breakdown p50: " + ", ".join(f"{k} {v}" for k, v in d["breakdown_p50"].items()), "", ""))
    for name, e in report["engines"].items():
        rows.append((f"batch, evidence mode, {name.replace('_', ' ')} worker(s): tickets/s steady (wall s for "
                     f"{e['rows']})", f"{e['steady_tickets_per_s']} ({e['wall_s']} s)", ""))
    rows.append(("peak RSS (bench process)", f"{report['peak_rss_mb']} MB", ""))
    print("| measure | value | target |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="number of tickets")
    parser.add_argument("--model", help="GGUF path or packaged model name")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--engine-rows", type=int, default=300, help="tickets per batch-engine run")
    parser.add_argument("--skip-engines", action="store_true", help="no batch-engine runs (no Ray)")
    parser.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.startup_probe:
        print(json.dumps(startup_probe(args.model)))
        return 0
    report = run(args.n, args.model, args.seed, args.engine_rows, not args.skip_engines)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print_table(report)
    print("\nDetails:")
    print(f"[llm mode classification] model {report['model']}  tickets {report['n_tickets']}  threads {report['threads']}")
    print(f"cold start to first result {report['cold_start_to_first_result_s']} s; "
          f"in-process start-up {report['in_process_startup_s']} s; peak RSS {report['peak_rss_mb']} MB")
    for name, s in report["stages_s"].items():
        print(f"  {name:<11} p50 {s['p50']:.4f} s  p95 {s['p95']:.4f} s")
    print(f"  {'total':<11} p50 {report['total_s']['p50']:.4f} s  p95 {report['total_s']['p95']:.4f} s")
    tok = report["tokens"]
    print(f"tokens/ticket: prompt p50 {tok['prompt']['p50']}, evaluated p50 {tok['prompt_evaluated']['p50']}, "
          f"generated p50 {tok['generated']['p50']}; {report['generated_tokens_per_s']} generated tok/s")
    print(f"bare llama-cpp-python, same prompt + generated tokens: p50 {report['bare_llama_cpp_same_tokens_s']['p50']} s;"
          f" pipeline overhead {report['overhead_vs_bare_llama_cpp']:+.1%}")
    pr = report["prefix_reuse"]
    print(f"prefix KV reuse: on p50 {pr['on_total_s']['p50']} s, off p50 {pr['off_total_s']['p50']} s")
    for mode, m in report["modes"].items():
        print(f"mode {mode}: {m}")
    print(f"drafts: {report['drafts']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
