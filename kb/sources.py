"""Shipped data sources, each mapped onto the taxonomy through kb/mappings/*.json.

Every loader yields plain dicts with the KB's fields. Rows whose label is not in the
mapping are counted and reported, never silently dropped."""
from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Iterator

from kb.splits import curated_split

KB_DIR = Path(__file__).resolve().parent
DATA_DIR = KB_DIR / "data"
SEED_DIR = KB_DIR / "seed"
MAPPINGS_DIR = KB_DIR / "mappings"
MAX_SOURCE_TEXT_CHARS = 1000  # GitHub issues carry whole stack traces
csv.field_size_limit(1 << 27)


def load_mapping(name: str) -> dict:
    with (MAPPINGS_DIR / f"{name}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def map_value(mapping: dict, value: str, unmapped: Counter) -> str | None:
    mapped = mapping["map"].get(value)
    if mapped is None:
        unmapped[value] += 1
    return mapped


CURATED_FILES = "curated_part*.jsonl"  # tidy tickets in the product's own register
REALSTYLE_FILES = "realstyle_*.jsonl"  # social posts, reviews, complaint letters, forum posts, bug reports


def curated_rows(split: str | None = "kb", files: str = CURATED_FILES, source: str = "curated") -> Iterator[dict]:
    """The curated seed tickets; split=None yields every split."""
    for path in sorted(SEED_DIR.glob(files)):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                row = json.loads(line)
                if split is not None and curated_split(row["id"]) != split:
                    continue
                yield {
                    "id": row["id"],
                    "text": f"{row.get('subject') or ''}\n{row['body']}".strip(),
                    "category": row["category"],
                    "secondary_category": row.get("secondary_category"),
                    "urgency": row["urgency"],
                    "sentiment": row["sentiment"],
                    "escalation": bool(row["escalation"]),
                    "intent": "",
                    "resolution": row["resolution"],
                    "language": row["language"],
                    "source": source,
                    "domain": row.get("domain", ""),
                }


def _mapped_csv(source: str, path: Path, label_column: str, unmapped: Counter | None):
    """(row number, row, taxonomy category) for each row whose label the mapping knows."""
    mapping, unmapped = load_mapping(source), unmapped if unmapped is not None else Counter()
    with path.open(encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            category = map_value(mapping, row[label_column], unmapped)
            if category:
                yield i, row, category


def banking77_rows(file: str = "train.csv", unmapped: Counter | None = None) -> Iterator[dict]:
    for i, row, category in _mapped_csv("banking77", DATA_DIR / "banking77" / file, "category", unmapped):
        yield {"id": f"banking77-{file.split('.')[0]}-{i}", "text": row["text"], "category": category,
               "intent": row["category"], "language": "en", "source": "banking77"}


def nlbse24_rows(file: str = "issues_train.csv", unmapped: Counter | None = None) -> Iterator[dict]:
    for i, row, category in _mapped_csv("nlbse24", DATA_DIR / "nlbse24" / file, "label", unmapped):
        yield {"id": f"nlbse24-{file.split('_')[1].split('.')[0]}-{i}",
               "text": f"{row['title']}\n{row['body']}"[:MAX_SOURCE_TEXT_CHARS],
               "category": category, "intent": row["label"], "language": "en", "source": "nlbse24"}


def bitext_rows(unmapped: Counter | None = None) -> Iterator[dict]:
    path = DATA_DIR / "bitext" / "bitext_cs_train_4514_with_responses.csv"
    for i, row, category in _mapped_csv("bitext", path, "category", unmapped):
        yield {"id": f"bitext-{i}", "text": row["instruction"], "category": category, "intent": row["intent"],
               "resolution": row.get("response") or "", "language": "en", "source": "bitext"}


def realstyle_rows(split: str | None = "kb") -> Iterator[dict]:
    """Original tickets written in the registers real customers use (kb/seed/LICENSE.md), split
    by id like the curated ones."""
    yield from curated_rows(split, REALSTYLE_FILES, "realstyle")


def seed_rows(split: str | None = "kb") -> Iterator[dict]:
    """Both kinds of the project's own labelled tickets (taxonomy-exact)."""
    yield from curated_rows(split)
    yield from realstyle_rows(split)


def all_kb_rows(unmapped: Counter | None = None) -> Iterator[dict]:
    """Everything `scripts.build_kb` ingests (never the curated dev/test splits or public test files)."""
    yield from seed_rows("kb")
    yield from bitext_rows(unmapped)
    yield from banking77_rows("train.csv", unmapped)
    yield from nlbse24_rows("issues_train.csv", unmapped)
