"""PII masking benchmark on the project's own labelled corpus (eval/pii/corpus.jsonl, CC0, written for
this benchmark independently of the detectors: 14 types, 7 languages, over-masking traps).

    python -m scripts.bench_pii [--corpus eval/pii/corpus.jsonl] [--out eval_out/pii] [--show-misses 20]

Each snippet goes through `clean_ticket` + the configured masker, as a stored ticket would. A labelled
value counts as caught when none of it is left in the masked text (its digits/letters, ignoring
spacing); a snippet is over-masked when any of its `keep` tokens (order numbers, versions, prices, …)
that survived the clean-up is gone after masking (tokens the clean-up removed with a quoted reply or a
forwarded header are counted apart). Prints and writes recall per type and per language, over-masking, ms per snippet."""
from __future__ import annotations

import argparse
import json
import re
import time
from collections import defaultdict
from pathlib import Path

from scripts.metrics import percentile
from triage.config import PROJECT_ROOT, get_settings
from triage.prepare import Preparer
from triage.wiring import masker

# corpus label -> the placeholder the product uses for it
PLACEHOLDER = {"PASSWORD": "SECRET", "API_KEY": "SECRET", "TAX_ID": "NATIONAL_ID"}


def _left(value: str, masked: str) -> bool:
    """Is any of the value still readable in the masked text? (whole, or without its spacing)."""
    if value in masked:
        return True
    squashed = re.sub(r"[\s.\-]", "", value)
    return len(squashed) >= 4 and squashed in re.sub(r"[\s.\-]", "", masked)


def run(corpus: Path) -> tuple[dict, list]:
    preparer = Preparer(0, masker=masker(get_settings()))
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_type, by_language = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    wrong_type, over, times, misses, removed_by_cleaning = 0, [], [], [], 0
    for row in rows:
        start = time.perf_counter()
        cleaned, masked, _ = preparer.clean_and_mask(row["text"])
        times.append((time.perf_counter() - start) * 1000)
        for item in row["pii"]:
            caught = not _left(item["value"], masked)
            for counter in (by_type[item["type"]], by_language[row["language"]]):
                counter[0] += caught
                counter[1] += 1
            if not caught:
                misses.append({"id": row["id"], "type": item["type"], "value": item["value"]})
            elif f"[{PLACEHOLDER.get(item['type'], item['type'])}]" not in masked:
                wrong_type += 1
        # a keep token the clean-up removed (a quoted reply, a forwarded header) was not masked: counted apart
        lost = [k for k in row.get("keep", []) if k in cleaned.text and k not in masked]
        removed_by_cleaning += sum(1 for k in row.get("keep", []) if k not in cleaned.text)
        if lost:
            over.append({"id": row["id"], "lost": lost})
    total = [sum(v[0] for v in by_type.values()), sum(v[1] for v in by_type.values())]
    report = {
        "snippets": len(rows), "labelled_values": total[1], "recall": round(total[0] / total[1], 3),
        "recall_by_type": {t: round(c / n, 3) for t, (c, n) in sorted(by_type.items())},
        "n_by_type": {t: n for t, (_, n) in sorted(by_type.items())},
        "recall_by_language": {lang: round(c / n, 3) for lang, (c, n) in sorted(by_language.items())},
        "caught_under_another_placeholder": wrong_type,
        "over_masked_snippets": len(over), "over_masking_rate": round(len(over) / len(rows), 3),
        "over_masked": over[:30], "keep_tokens_removed_by_cleaning": removed_by_cleaning,
        "ms_per_snippet": {"p50": round(percentile(times, 0.5), 2), "p95": round(percentile(times, 0.95), 2)},
    }
    return report, misses


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(PROJECT_ROOT / "eval" / "pii" / "corpus.jsonl"))
    ap.add_argument("--out", default=str(PROJECT_ROOT / "eval_out" / "pii"))
    ap.add_argument("--show-misses", type=int, default=20)
    args = ap.parse_args(argv)
    report, misses = run(Path(args.corpus))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps({**report, "misses": misses}, indent=2, ensure_ascii=False),
                                     encoding="utf-8")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    for miss in misses[: args.show_misses]:
        print(f"missed {miss['type']:<12} {miss['id']}: {miss['value']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
