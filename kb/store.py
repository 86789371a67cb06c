"""The knowledge base: an embedded LanceDB table of resolved tickets.

- Adding is an upsert on `id` (merge_insert), so re-ingesting never duplicates.
- Rows are written in batches; each batch is its own committed LanceDB version, so an
  interrupted ingest leaves a readable table holding every committed batch.
- LanceDB readers see a consistent snapshot while a writer adds (MVCC).
"""
from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

import numpy as np
import pyarrow as pa

TABLE = "resolved_tickets"
LABEL_FIELDS = ("category", "secondary_category", "urgency", "sentiment")


class KnowledgeBaseError(RuntimeError):
    """The KB is missing or unreadable; the message says how to rebuild it."""


def kb_schema(dim: int) -> pa.Schema:
    return pa.schema([
        pa.field("id", pa.string(), nullable=False),
        pa.field("text", pa.string()),
        pa.field("category", pa.string()),
        pa.field("secondary_category", pa.string()),
        pa.field("urgency", pa.string()),
        pa.field("sentiment", pa.string()),
        pa.field("escalation", pa.bool_()),
        pa.field("intent", pa.string()),
        pa.field("resolution", pa.string()),
        pa.field("language", pa.string()),
        pa.field("source", pa.string()),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
        pa.field("vector", pa.list_(pa.float32(), dim)),
    ])


@dataclass
class Hit:
    id: str
    text: str
    category: Optional[str]
    urgency: Optional[str]
    sentiment: Optional[str]
    escalation: Optional[bool]
    intent: Optional[str]
    resolution: Optional[str]
    language: Optional[str]
    source: Optional[str]
    created_at: Optional[datetime]
    similarity: float
    score: float  # similarity with the recency preference applied


class KnowledgeBase:
    REBUILD_HINT = "Rebuild it with `python -m scripts.build_kb` (make run / make test do this when it is missing)."

    def __init__(self, path: Path, embedder):
        import lancedb

        self.path = Path(path)
        self.embedder = embedder
        self._db = lancedb.connect(str(self.path))
        self._table = None
        self._write_lock = threading.Lock()
        self.corrections_log = self.path / "corrections.jsonl"

    # -- table ----------------------------------------------------------------
    def exists(self) -> bool:
        return TABLE in self._db.list_tables().tables

    @property
    def table(self):
        if self._table is None:
            if not self.exists():
                raise KnowledgeBaseError(f"No knowledge base at {self.path}. {self.REBUILD_HINT}")
            try:
                self._table = self._db.open_table(TABLE)
                self._table.count_rows()
            except Exception as exc:  # corrupted manifest, missing fragments, ...
                self._table = None
                raise KnowledgeBaseError(f"The knowledge base at {self.path} is unreadable ({exc}). "
                                         f"{self.REBUILD_HINT}") from exc
        return self._table

    def check(self) -> int:
        """Row count; raises KnowledgeBaseError with a rebuild hint when missing or corrupt."""
        try:
            n = self.table.count_rows()
            self.table.search(np.zeros(self.embedder.dim, dtype=np.float32)).limit(1).to_list()
            return n
        except KnowledgeBaseError:
            raise
        except Exception as exc:
            self._table = None
            raise KnowledgeBaseError(f"The knowledge base at {self.path} is unreadable ({exc}). "
                                     f"{self.REBUILD_HINT}") from exc

    def count(self) -> int:
        return self.table.count_rows() if self.exists() else 0

    @property
    def version(self) -> int:
        return int(self.table.version)

    def texts_by_id(self) -> dict[str, str]:
        if not self.exists():
            return {}
        arrow = self.table.to_arrow().select(["id", "text"])
        return dict(zip(arrow.column("id").to_pylist(), arrow.column("text").to_pylist()))

    # -- writing --------------------------------------------------------------
    def _records_to_arrow(self, rows: Sequence[dict], vectors: np.ndarray) -> pa.Table:
        now = datetime.now(timezone.utc)
        cols: dict[str, list] = {f.name: [] for f in kb_schema(self.embedder.dim)}
        for row, vec in zip(rows, vectors):
            for name in cols:
                if name == "vector":
                    cols[name].append(vec.tolist())
                elif name == "created_at":
                    cols[name].append(row.get("created_at") or now)
                elif name == "escalation":
                    cols[name].append(row.get("escalation"))
                else:
                    value = row.get(name)
                    cols[name].append(None if value is None else str(value))
        return pa.table(cols, schema=kb_schema(self.embedder.dim))

    def add(self, rows: Iterable[dict], batch_size: int = 512,
            progress: Callable[[int], None] | None = None) -> int:
        """Embed and upsert rows by id, one committed batch at a time. Returns rows written."""
        written, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                written += self._write_batch(batch)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            written += self._write_batch(batch)
            if progress:
                progress(len(batch))
        return written

    def _write_batch(self, rows: list[dict]) -> int:
        vectors = self.embedder.encode([r["text"] for r in rows])
        data = self._records_to_arrow(rows, vectors)
        with self._write_lock:
            if not self.exists():
                self._table = self._db.create_table(TABLE, data=data)
            else:
                (self.table.merge_insert("id").when_matched_update_all()
                 .when_not_matched_insert_all().execute(data))
        return len(rows)

    def ensure_index(self, min_rows: int = 10_000) -> bool:
        """Build an ANN index (IVF-HNSW with scalar quantisation, cosine) once the table is
        large enough for a flat scan to cost more than ~10 ms; rows added later are still
        found (LanceDB scans the unindexed part exactly)."""
        if self.count() < min_rows:
            return False
        from lancedb.index import HnswSq

        with self._write_lock:
            self.table.create_index("vector", config=HnswSq(distance_type="cosine"), replace=True)
        return True

    def add_resolved(self, text: str, final_labels: dict, resolution: str = "",
                     original_prediction: dict | None = None, ticket_id: str | None = None,
                     language: str = "unknown") -> str:
        """Store a resolved or corrected ticket (text must already be PII-masked) so the next
        similar ticket benefits at once; log the correction with the original prediction."""
        ticket_id = ticket_id or f"resolved-{uuid.uuid4().hex[:12]}"
        row = {"id": ticket_id, "text": text, "resolution": resolution, "language": language,
               "source": "feedback", **{k: final_labels.get(k) for k in (*LABEL_FIELDS, "escalation")}}
        self.add([row])
        entry = {"id": ticket_id, "at": datetime.now(timezone.utc).isoformat(), "final": final_labels,
                 "original": original_prediction or {},
                 "changed": sorted(k for k in final_labels
                                   if original_prediction and k in original_prediction
                                   and original_prediction[k] != final_labels[k])}
        self.path.mkdir(parents=True, exist_ok=True)
        with self.corrections_log.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return ticket_id

    def corrections(self) -> list[dict]:
        if not self.corrections_log.exists():
            return []
        with self.corrections_log.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    # -- reading --------------------------------------------------------------
    def search(self, query: str | np.ndarray, k: int = 5, category: str | None = None,
               recency_weight: float = 0.0, recency_half_life_days: float = 180.0,
               exclude_sources: Sequence[str] = ()) -> list[Hit]:
        """Top-k resolved tickets by cosine similarity, optionally within one category.
        recency_weight > 0 re-ranks by similarity * (1 - w + w * 0.5**(age/half_life))."""
        vector = self.embedder.encode([query])[0] if isinstance(query, str) else np.asarray(query, np.float32)
        return self.search_many([vector], k, category, recency_weight, recency_half_life_days, exclude_sources)[0]

    def search_many(self, vectors: Sequence[np.ndarray], k: int = 5, category: str | None = None,
                    recency_weight: float = 0.0, recency_half_life_days: float = 180.0,
                    exclude_sources: Sequence[str] = ()) -> list[list[Hit]]:
        """One LanceDB query for many vectors (batch triage): about 2.5x cheaper per ticket."""
        if len(vectors) == 0:
            return []
        # refine_factor re-ranks the ANN candidates with exact cosine distances (the quantised
        # index's own distances are on another scale); without an index it is a no-op.
        query = [np.asarray(v, np.float32) for v in vectors]
        q = (self.table.search(query if len(query) > 1 else query[0]).metric("cosine").refine_factor(4)
             .limit(k * 3 if recency_weight else k))
        filters = []
        if category:
            filters.append(f"category = '{category.replace(chr(39), '')}'")
        for src in exclude_sources:
            filters.append(f"source != '{src.replace(chr(39), '')}'")
        if filters:
            q = q.where(" AND ".join(filters), prefilter=True)
        now = datetime.now(timezone.utc)
        results: list[list[Hit]] = [[] for _ in query]
        for row in q.to_arrow().drop_columns(["vector"]).to_pylist():
            similarity = 1.0 - float(row["_distance"])
            score = similarity
            if recency_weight and row.get("created_at") is not None:
                age_days = max(0.0, (now - row["created_at"]).total_seconds() / 86400)
                score = similarity * (1 - recency_weight + recency_weight * 0.5 ** (age_days / recency_half_life_days))
            hit = Hit(**{f: row.get(f) for f in ("id", "text", "category", "urgency", "sentiment", "escalation",
                                                   "intent", "resolution", "language", "source", "created_at")},
                      similarity=similarity, score=score)
            results[row.get("query_index", 0)].append(hit)
        for hits in results:
            hits.sort(key=lambda h: h.score, reverse=True)
            del hits[k:]
        return results

    def labelled(self, fields: Sequence[str] = ("category", "urgency", "sentiment", "source")) -> tuple[np.ndarray, dict]:
        """All vectors with their label columns (for training the evidence heads)."""
        arrow = self.table.to_arrow()
        flat = arrow.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        vectors = np.asarray(flat, dtype=np.float32).reshape(arrow.num_rows, self.embedder.dim)
        return vectors, {f: arrow.column(f).to_pylist() for f in fields}

    def rows_from_source(self, source: str, fields: Sequence[str] = ("id", "text", "category", "urgency",
                                                                      "sentiment", "escalation", "language")) -> list[dict]:
        """Every row of one source (e.g. "feedback": the corrections stored from the app)."""
        if not self.exists():
            return []
        arrow = self.table.to_arrow().select(["source", *fields])
        columns = {f: arrow.column(f).to_pylist() for f in ["source", *fields]}
        return [{f: columns[f][i] for f in fields} for i, s in enumerate(columns["source"]) if s == source]

    def counts(self, by: str = "category") -> dict:
        col = self.table.to_arrow().column(by).to_pylist()
        out: dict = {}
        for v in col:
            out[v] = out.get(v, 0) + 1
        return out
