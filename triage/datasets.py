"""Read labelled or unlabelled tickets from CSV or JSONL, with column and label mapping.

Rows that cannot be read are counted and returned with the reason; none is dropped silently."""
from __future__ import annotations

import csv
import glob
import json
from dataclasses import dataclass, field
from pathlib import Path

csv.field_size_limit(1 << 27)
TRUE_VALUES = {"true", "yes", "1", "y", "t"}
FALSE_VALUES = {"false", "no", "0", "n", "f", ""}
LABEL_FIELDS = ("category", "urgency", "sentiment", "escalation", "language")


@dataclass
class Row:
    id: str
    text: str
    subject: str = ""
    labels: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)


@dataclass
class BadRow:
    line: int
    reason: str


def parse_map(spec: str | None) -> dict:
    """'category=queue,urgency=priority' -> {'category': 'queue', 'urgency': 'priority'}"""
    out = {}
    for part in filter(None, (spec or "").split(",")):
        if "=" not in part:
            raise ValueError(f"--map entry {part!r} must look like field=COLUMN")
        key, col = (s.strip() for s in part.split("=", 1))
        if key not in LABEL_FIELDS:
            raise ValueError(f"--map field {key!r} must be one of {', '.join(LABEL_FIELDS)}")
        out[key] = col
    return out


def parse_bool(value) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    return None


def _records(path: Path):
    """Yield (line_number, dict or None, error)."""
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        with path.open(encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    yield n, (obj if isinstance(obj, dict) else None), None if isinstance(obj, dict) else "not a JSON object"
                except json.JSONDecodeError as exc:
                    yield n, None, f"invalid JSON: {exc.msg}"
    else:
        with path.open(encoding="utf-8", errors="replace", newline="") as fh:
            reader = csv.reader(fh)
            try:
                header = next(reader)
            except StopIteration:
                return
            for n, values in enumerate(reader, 2):
                if len(values) != len(header):
                    yield n, None, f"expected {len(header)} columns, found {len(values)}"
                    continue
                yield n, dict(zip(header, values)), None


def load_rows(data: str, text_cols: list[str], label_cols: dict | None = None, label_values: dict | None = None,
              id_col: str | None = None, row_filter=None) -> tuple[list[Row], list[BadRow]]:
    """Read every file matching `data` (a path or glob). label_values maps raw label values per
    field ({"category": {"Billing and Payments": "billing"}}); a value missing from a field's
    mapping, when a mapping is given, makes the row bad for that reason."""
    label_cols, label_values = label_cols or {}, label_values or {}
    paths = sorted(Path(p) for p in glob.glob(data)) or [Path(data)]
    rows, bad = [], []
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"No such data file: {path}")
        for n, rec, error in _records(path):
            if error:
                bad.append(BadRow(n, f"{path.name}:{n}: {error}"))
                continue
            if row_filter is not None and not row_filter(rec):
                continue
            missing = [c for c in text_cols if c not in rec]
            if missing:
                bad.append(BadRow(n, f"{path.name}:{n}: missing text column(s) {missing}"))
                continue
            parts = [str(rec.get(c) or "").strip() for c in text_cols]
            text = "\n".join(p for p in parts if p)
            if not text.strip():
                bad.append(BadRow(n, f"{path.name}:{n}: empty text"))
                continue
            labels, problem = {}, None
            for fld, col in label_cols.items():
                raw = rec.get(col)
                if fld == "escalation":
                    value = parse_bool(raw)
                    if value is None:
                        problem = f"escalation value {raw!r} is not true/false/yes/no/1/0"
                else:
                    mapping = label_values.get(fld)
                    key = "" if raw is None else str(raw)
                    value = mapping.get(key, mapping.get(key.strip().lower())) if mapping else key.strip()
                    if mapping and value is None:
                        problem = f"{fld} value {raw!r} not in the label mapping"
                labels[fld] = value
            if problem:
                bad.append(BadRow(n, f"{path.name}:{n}: {problem}"))
                continue
            row_id = str(rec.get(id_col)) if id_col and rec.get(id_col) not in (None, "") else f"{path.stem}:{n}"
            rows.append(Row(row_id, text, labels=labels, raw=rec))
    return rows, bad
