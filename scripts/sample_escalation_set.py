"""Draw the public escalation set to be labelled by hand (eval/data/escalation_public/).

No public dataset here labels escalation, so rows are drawn from three of them and labelled by
hand under eval/data/escalation_public/GUIDELINE.md. Strata come only from each dataset's own
metadata (airline tweet sentiment and negative reason, ticket language and priority, Bitext
intent), never from this product's rules, so the set does not favour what the rules catch.

    python -m scripts.sample_escalation_set --shared ../shared/data          # draw sample.jsonl
    python -m scripts.sample_escalation_set --merge                          # + labels.jsonl -> dev/test

Two annotators labelled every row independently (annotator_a, annotator_b in labels.jsonl); the
few disagreements were adjudicated (`adjudicated`: true). Half of the rows (by a hash of the id)
are `dev` (rules may be changed while looking at them), the other half `test` (reported only)."""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
from pathlib import Path

SEED = 20261123
TWEET_STRATA = {  # (sentiment, negativereason or None) -> rows
    ("negative", "Customer Service Issue"): 110,
    ("negative", "Late Flight"): 30,
    ("negative", "Cancelled Flight"): 30,
    ("negative", "Lost Luggage"): 25,
    ("negative", "Can't Tell"): 25,
    ("negative", "Bad Flight"): 15,
    ("negative", "Flight Booking Problems"): 15,
    ("negative", "Flight Attendant Complaints"): 10,
    ("neutral", None): 35,
    ("positive", None): 25,
}
TICKET_FILES = ("tickets_multilang5_v3_sample.csv", "tickets_en_de_v4_sample.csv", "tickets_en_de_v5_sample.csv")
TICKETS_PER_LANGUAGE = {"en": 40, "de": 50, "es": 45, "fr": 45, "pt": 45}
# A second round, labelled after the first showed how rare escalations are in these tickets
# (5 of 230 non-English rows): more non-English rows, drawn from those not yet sampled.
EXTRA_TICKETS_PER_LANGUAGE = {"de": 100, "es": 100, "fr": 100, "pt": 100}
BITEXT_INTENTS = {"complaint": 30, "contact_human_agent": 10, "cancel_order": 10, "get_refund": 10}


def split_of(row_id: str) -> str:
    return "dev" if int(hashlib.sha1(row_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def tweets(root: Path, rng: random.Random) -> list[dict]:
    rows = read_csv(root / "twitter-airline-sentiment" / "Tweets.csv")
    seen, out = set(), []
    for (sentiment, reason), n in TWEET_STRATA.items():
        pool = [(i, r) for i, r in enumerate(rows, 2)
                if r["airline_sentiment"] == sentiment and (reason is None or r["negativereason"] == reason)
                and float(r["airline_sentiment_confidence"] or 0) >= 0.6 and not r["text"].startswith("RT ")]
        rng.shuffle(pool)
        fresh = []  # the first n tweets of the shuffled pool whose text was not drawn already
        for line, r in pool:
            if len(fresh) == n:
                break
            if r["text"] not in seen:
                seen.add(r["text"])
                fresh.append({"id": f"tweet-{line}", "source": "twitter-airline-sentiment/Tweets.csv", "source_line": line,
                              "language": "en", "stratum": f"{sentiment}/{reason}", "text": r["text"]})
        out += fresh
    return out


def _ticket_id(name: str, line: int) -> str:
    return f"mlt-{name.split('_')[-2]}-{line}"


def tickets(root: Path, rng: random.Random, per_language: dict, exclude: set = frozenset()) -> list[dict]:
    pool = []
    for name in TICKET_FILES:
        for line, r in enumerate(read_csv(root / "multilingual-customer-support-tickets" / name), 2):
            text = "\n\n".join(p for p in (r["subject"], r["body"]) if p).replace("\\n", "\n")
            if _ticket_id(name, line) not in exclude:
                pool.append((name, line, r, text))
    out = []
    for lang, n in per_language.items():
        # half from the dataset's 'high' priority (more complaints there), half from the rest
        high = [p for p in pool if p[2]["language"] == lang and p[2]["priority"] == "high"]
        rest = [p for p in pool if p[2]["language"] == lang and p[2]["priority"] != "high"]
        n_high = min(len(high), n // 2)  # fewer when a language has run out of rows
        picked = rng.sample(high, n_high) + rng.sample(rest, min(len(rest), n - n_high))
        for name, line, r, text in picked:
            out.append({"id": _ticket_id(name, line), "source": f"multilingual-customer-support-tickets/{name}",
                        "source_line": line, "language": lang, "stratum": f"{lang}/{r['priority']}", "text": text})
    return out


def bitext(root: Path, rng: random.Random) -> list[dict]:
    rows = read_csv(root / "bitext-customer-support" / "bitext_cs_utterances_8175.csv")
    out = []
    for intent, n in BITEXT_INTENTS.items():
        pool = [(i, r) for i, r in enumerate(rows, 2) if r["intent"] == intent]
        for line, r in rng.sample(pool, n):
            out.append({"id": f"bitext-{line}", "source": "bitext-customer-support/bitext_cs_utterances_8175.csv",
                        "source_line": line, "language": "en", "stratum": intent, "text": r["utterance"]})
    return out


def merge(folder: Path) -> None:
    """sample.jsonl + labels.jsonl -> dev.jsonl and test.jsonl (text with its final label)."""
    labels = {r["id"]: r for r in map(json.loads, (folder / "labels.jsonl").open(encoding="utf-8"))}
    rows = [json.loads(line) for line in (folder / "sample.jsonl").open(encoding="utf-8")]
    missing = [r["id"] for r in rows if r["id"] not in labels]
    if missing:
        raise SystemExit(f"{len(missing)} rows have no label, e.g. {missing[:3]}")
    for split in ("dev", "test"):
        part = [{**r, "escalation": labels[r["id"]]["escalation"]} for r in rows if r["split"] == split]
        with (folder / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in part)
        print(f"{split}: {len(part)} rows, {sum(r['escalation'] for r in part)} escalations")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=Path("eval/data/escalation_public/sample.jsonl"))
    ap.add_argument("--merge", action="store_true", help="join sample.jsonl with labels.jsonl into dev/test files")
    args = ap.parse_args(argv)
    if args.merge:
        merge(args.out.parent)
        return 0
    rng = random.Random(SEED)
    rows = tweets(args.shared, rng) + tickets(args.shared, rng, TICKETS_PER_LANGUAGE) + bitext(args.shared, rng)
    random.Random(SEED).shuffle(rows)  # labellers see sources mixed, not grouped
    extra = tickets(args.shared, random.Random(SEED + 1), EXTRA_TICKETS_PER_LANGUAGE, {r["id"] for r in rows})
    random.Random(SEED + 1).shuffle(extra)
    rows += extra
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({**r, "split": split_of(r["id"])}, ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
