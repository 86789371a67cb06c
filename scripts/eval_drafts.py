"""Reply drafts over many held-out tickets: speed, strategy, and an independent leak check.

    python -m scripts.eval_drafts [--n 200] [--generate-all] [--out eval_out/drafts]

Runs the full `Triager.run(ticket, with_draft=True)` (default hybrid mode) on N tickets of the
curated *test* split. For every final draft a second, independent scanner (broader patterns
than the drafter's own grounding check) looks for URLs, e-mail addresses and phone numbers and
counts any that appear in neither the ticket nor the resolved tickets the draft was built from:
that count must be zero. --generate-all disables the reuse of close resolutions so every draft
is free LLM text (the harder case for grounding). Writes drafts.jsonl and summary.json."""
from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

import phonenumbers
from tqdm import tqdm

from kb.sources import curated_rows
from scripts.metrics import percentile
from triage.config import PROJECT_ROOT, get_settings
from triage.draft import number_is_grounded, source_numbers
from triage.pii import LANGUAGE_REGIONS

URL = re.compile(r"(https?://\S+|www\.\S+|\b[\w-]+(\.[\w-]+)*\.(com|net|org|io|co|app|dev|ai|eu|de|fr|es|nl|it|uk|pt|info|biz)\b\S*)", re.I)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
LONG_DIGITS = re.compile(r"\+?\d[\d ()./-]{6,}\d")


def leaks(draft: str, sources: list[str], language: str) -> list[dict]:
    """URLs, e-mails and phone-like numbers in the draft that no source contains."""
    haystack = "\n".join(sources).lower()
    runs, formatted = source_numbers(sources)
    found = [("url", m.group(0)) for m in URL.finditer(draft)] + [("email", m.group(0)) for m in EMAIL.finditer(draft)]
    found += [("phone", m.raw_string) for m in phonenumbers.PhoneNumberMatcher(draft, LANGUAGE_REGIONS.get(language, "US"),
                                                                                 leniency=phonenumbers.Leniency.POSSIBLE)]
    found += [("phone", m.group(0)) for m in LONG_DIGITS.finditer(draft)]
    out = []
    for kind, value in found:
        if kind == "phone":
            grounded = len(re.sub(r"\D", "", value)) < 7 or number_is_grounded(value, runs, formatted)
        else:
            grounded = value.lower().rstrip(".,;:!?)/") in haystack
        if not grounded:
            out.append({"kind": kind, "value": value})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--generate-all", action="store_true", help="never reuse a close resolution: every draft is LLM text")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    from triage.wiring import build_triager

    overrides = {"draft_adapt_min_similarity": 1.1} if args.generate_all else {}
    triager = build_triager(get_settings(**overrides))
    rows = list(curated_rows("test"))
    random.Random(args.seed).shuffle(rows)
    rows = rows[: args.n]
    out_dir = Path(args.out or PROJECT_ROOT / "eval_out" / ("drafts_generate_all" if args.generate_all else "drafts"))
    out_dir.mkdir(parents=True, exist_ok=True)
    triager.run("warm-up: my invoice is wrong", with_draft=True)

    records = []
    with (out_dir / "drafts.jsonl").open("w", encoding="utf-8") as fh:
        for row in tqdm(rows, desc="drafts", unit="ticket"):
            start = time.perf_counter()
            result = triager.run(row["text"], with_draft=True)
            total = time.perf_counter() - start
            d = result.draft
            sources = d.grounding_sources or [result.masked_text]  # what the drafter checked against
            record = {"id": row["id"], "language": result.language, "strategy": d.strategy, "draft_s": d.seconds,
                      "tokens": d.tokens, "full_run_s": total, "removed": [r.model_dump() for r in d.removed],
                      "left": leaks(d.text, sources, result.language), "auto_reply": d.auto_reply_suggested,
                      "draft": d.text}
            records.append(record)
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    generated = [r for r in records if r["strategy"] in ("llm", "template")]  # both are LLM generations
    strategies: dict = {}
    for r in records:
        strategies[r["strategy"]] = strategies.get(r["strategy"], 0) + 1
    removed_by_kind: dict = {}
    for r in records:
        for item in r["removed"]:
            removed_by_kind[item["kind"]] = removed_by_kind.get(item["kind"], 0) + 1
    summary = {
        "n": len(records), "generate_all": args.generate_all, "strategies": strategies,
        "full_run_s": {"p50": percentile([r["full_run_s"] for r in records], 0.5),
                       "p95": percentile([r["full_run_s"] for r in records], 0.95)},
        "generated_draft_s": {"p50": percentile([r["draft_s"] for r in generated], 0.5),
                              "p95": percentile([r["draft_s"] for r in generated], 0.95)} if generated else None,
        "generated_tokens_p50": percentile([r["tokens"] for r in generated], 0.5) if generated else None,
        "ungrounded_removed": sum(len(r["removed"]) for r in records), "removed_by_kind": removed_by_kind,
        "drafts_with_removals": sum(1 for r in records if r["removed"]),
        "ungrounded_left": sum(len(r["left"]) for r in records),
        "left_examples": [dict(id=r["id"], **x) for r in records for x in r["left"]][:20],
        "auto_reply_suggested": sum(r["auto_reply"] for r in records),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
