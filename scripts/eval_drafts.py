"""Reply drafts on real customer messages and the curated test split: automatic checks per draft,
per strategy and language, speed, ungrounded facts, and the reading check's grades.

    python -m scripts.eval_drafts [--configs real_dev curated_test] [--n N] [--strategy composed|generate]
                                  [--reading 40] [--seed 0] [--out eval_out/drafts]

Runs the full `Triager.run(ticket, with_draft=True)` (default mode) on each evaluation config's rows
(seeded shuffle, the first N; all by default). Every final draft is checked with
triage.draft_checks (complete sentence, no scaffolding, no copied run, no repeated 5-gram, second
person, language, 25-150 words, no ungrounded URL/e-mail/phone — an independent scanner).

The reading check: a fixed sample of --reading drafts of the first config (seed in the report) is
written to reading_sample.md for a person to grade *send as is / light edit / rewrite / harmful*.
Grades live in eval/reading/drafts_<config>.jsonl ({"id", "draft_sha1", "grade", "reason"}); a grade
counts only while the draft it was given for is unchanged (same sha1), so changed drafts show as
ungraded instead of inheriting an old grade. Writes drafts_<config>.jsonl and summary.json."""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

from tqdm import tqdm

from scripts.evaluate import config_rows, load_config
from scripts.metrics import percentile
from triage.config import PROJECT_ROOT, get_settings
from triage.draft_checks import CHECKS, ungrounded_facts
from triage.schema import EmptyTicketError

GRADES = ("send as is", "light edit", "rewrite", "harmful")
READING_DIR = PROJECT_ROOT / "eval" / "reading"


def draft_sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def rate(records: list[dict]) -> dict:
    n = len(records)
    failing = Counter(c for r in records for c in r["checks_failed"])
    return {"n": n, "all_checks_pass": round(sum(not r["checks_failed"] for r in records) / n, 3) if n else None,
            "failures_by_check": {c: failing[c] for c in CHECKS if failing[c]}}


def summarise(records: list[dict]) -> dict:
    by_strategy, by_language = defaultdict(list), defaultdict(list)
    for r in records:
        by_strategy[r["strategy"]].append(r)
        by_language[r["language"]].append(r)
    generated = [r for r in records if r["tokens"]]
    return {
        **rate(records),
        "by_strategy": {k: rate(v) for k, v in sorted(by_strategy.items())},
        "by_language": {k: rate(v) for k, v in sorted(by_language.items())},
        "generated_replaced_by_gate": sum(1 for r in records if r["replaced_checks"]),
        "replaced_because": dict(Counter(c for r in records for c in r["replaced_checks"])),
        "draft_s": {"p50": percentile([r["draft_s"] for r in records], 0.5),
                    "p95": percentile([r["draft_s"] for r in records], 0.95)},
        "generated_draft_s_p50": percentile([r["draft_s"] for r in generated], 0.5) if generated else None,
        "generated_tokens_p50": percentile([r["tokens"] for r in generated], 0.5) if generated else None,
        "ungrounded_removed": sum(len(r["removed"]) for r in records),
        "ungrounded_left": sum(len(r["left"]) for r in records),
        "left_examples": [dict(id=r["id"], **x) for r in records for x in r["left"]][:20],
        "auto_reply_suggested": sum(r["auto_reply"] for r in records),
    }


def reading_check(name: str, records: list[dict], n: int, seed: int, out_dir: Path) -> dict:
    """Write the fixed reading sample; report the grades that still match their drafts."""
    sample = random.Random(seed).sample(records, min(n, len(records)))
    lines = [f"# Reading check: {len(sample)} drafts of {name} (seed {seed})", "",
             f"Grade each: {' / '.join(GRADES)}, with a one-line reason, in "
             f"eval/reading/drafts_{name}.jsonl as {{\"id\", \"draft_sha1\", \"grade\", \"reason\"}}.", ""]
    for r in sample:
        lines += [f"## {r['id']} ({r['language']}, {r['strategy']}) sha1 {r['sha1']}", "", "Ticket:", "",
                  *[f"> {line}" for line in r["ticket"].splitlines()], "", "Draft:", "", r["draft"], ""]
    (out_dir / f"reading_sample_{name}.md").write_text("\n".join(lines), encoding="utf-8")
    grades_file = READING_DIR / f"drafts_{name}.jsonl"
    graded = {}
    if grades_file.exists():
        for line in grades_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                g = json.loads(line)
                graded[(g["id"], g["draft_sha1"])] = g
    counts, ungraded = Counter(), []
    for r in sample:
        g = graded.get((r["id"], r["sha1"]))
        if g is None:
            ungraded.append(r["id"])
        else:
            counts[g["grade"]] += 1
    done = sum(counts.values())
    return {"seed": seed, "sample": len(sample), "graded": done, "ungraded": len(ungraded),
            "grades": {g: counts[g] for g in GRADES},
            "send_or_light_edit": round((counts["send as is"] + counts["light edit"]) / done, 3) if done else None}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", nargs="+", default=["real_dev", "curated_test"],
                    help="evaluation configs (eval/configs/NAME.json)")
    ap.add_argument("--n", type=int, default=None, help="tickets per config (default: all)")
    ap.add_argument("--strategy", choices=["composed", "generate"], default=None, help="default: the settings'")
    ap.add_argument("--reading", type=int, default=40, help="reading-check sample size (first config)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    from triage.wiring import build_triager

    overrides = {"draft_strategy": args.strategy} if args.strategy else {}
    settings = get_settings(**overrides)
    triager = build_triager(settings)
    out_dir = Path(args.out or PROJECT_ROOT / "eval_out" / "drafts")
    out_dir.mkdir(parents=True, exist_ok=True)
    triager.run("warm-up: my invoice is wrong", with_draft=True)
    summary: dict = {"strategy": settings.draft_strategy, "mode": triager.mode, "model": triager.model_name}
    for i, name in enumerate(args.configs):
        rows, _bad = config_rows(load_config(str(PROJECT_ROOT / "eval" / "configs" / f"{name}.json")))
        random.Random(args.seed).shuffle(rows)
        rows = rows[: args.n] if args.n else rows
        records, errors = [], []
        with (out_dir / f"drafts_{name}.jsonl").open("w", encoding="utf-8") as fh:
            for row in tqdm(rows, desc=f"drafts {name}", unit="ticket"):
                start = time.perf_counter()
                try:
                    result = triager.run(row.text, with_draft=True)
                except EmptyTicketError as exc:  # e.g. a ticket that is only markup: no draft to check
                    errors.append({"id": row.id, "error": str(exc)})
                    continue
                d = result.draft
                sources = d.grounding_sources or [result.masked_text]
                record = {"id": row.id, "language": result.language, "strategy": d.strategy, "gate": d.gate,
                          "checks_failed": d.checks_failed, "replaced_checks": d.replaced_checks,
                          "draft_s": d.seconds, "full_run_s": time.perf_counter() - start, "tokens": d.tokens,
                          "removed": [r.model_dump() for r in d.removed],
                          "left": ungrounded_facts(d.text, sources, result.language),
                          "auto_reply": d.auto_reply_suggested, "nearest_similarity": d.nearest_similarity,
                          "sha1": draft_sha1(d.text), "draft": d.text}
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                records.append({**record, "ticket": result.masked_text})
        summary[name] = {**summarise(records), "not_drafted": errors}
        if i == 0 and args.reading:
            summary[name]["reading_check"] = reading_check(name, records, args.reading, args.seed, out_dir)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
