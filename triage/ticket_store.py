"""The store of triaged tickets: SQLite through sqlite-utils, one file next to the KB.

Why SQLite and not a LanceDB table: the queue needs row updates (status, result, write-back state),
a uniqueness constraint for idempotent webhooks (source, external id), and many small concurrent
writers — what SQLite in WAL mode does well and a columnar vector store does not. Only masked text
is stored: a ticket is masked when it is accepted, before it is queued."""
from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

STATUSES = ("queued", "new", "in review", "resolved", "failed")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class TicketStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # one connection per store, shared by the worker and request threads
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        if "tickets" not in self.db.table_names():
            self.db["tickets"].create({
                "id": int, "source": str, "external_id": str, "subject": str, "masked_text": str, "language": str,
                "status": str, "result": str, "error": str, "received_at": str, "triaged_at": str, "updated_at": str,
                "resolved_by": str, "deliveries": int, "sla_due_at": str, "writeback": str, "writeback_error": str,
                "writeback_attempts": int,
            }, pk="id", not_null={"source", "external_id", "masked_text", "status"},
                defaults={"deliveries": 1, "writeback_attempts": 0})
            self.db["tickets"].create_index(["source", "external_id"], unique=True)
            self.db["tickets"].create_index(["status", "sla_due_at"])

    def accept(self, source: str, external_id: str, masked_text: str, subject: str = "") -> tuple[int, bool]:
        """Store a received (already masked) ticket as queued; a redelivery of the same (source,
        external id) updates it instead of adding a row. Returns (queue id, created)."""
        with self._lock:
            existing = list(self.db["tickets"].rows_where("source = ? and external_id = ?", [source, external_id]))
            if existing:
                row = existing[0]
                self.db["tickets"].update(row["id"], {
                    "masked_text": masked_text, "subject": subject, "deliveries": (row["deliveries"] or 1) + 1,
                    "updated_at": now(), **({"status": "queued"} if row["status"] in ("queued", "failed") else {})})
                return row["id"], False
            table = self.db["tickets"].insert({
                "source": source, "external_id": external_id, "subject": subject, "masked_text": masked_text,
                "status": "queued", "received_at": now(), "updated_at": now(), "deliveries": 1})
            return table.last_pk, True

    def record_result(self, ticket_id: int, result: dict) -> None:
        due = (result.get("routing") or {}).get("due_at")
        with self._lock:
            self.db["tickets"].update(ticket_id, {
                "result": json.dumps(result, ensure_ascii=False), "status": "new", "triaged_at": now(),
                "updated_at": now(), "language": result.get("language"), "sla_due_at": due, "error": None})

    def record_failure(self, ticket_id: int, error: str) -> None:
        with self._lock:
            self.db["tickets"].update(ticket_id, {"status": "failed", "error": error, "updated_at": now()})

    def set_status(self, ticket_id: int, status: str, resolved_by: str | None = None) -> None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        with self._lock:
            self.db["tickets"].update(ticket_id, {"status": status, "updated_at": now(),
                                                   **({"resolved_by": resolved_by} if resolved_by else {})})

    def record_writeback(self, ticket_id: int, state: str, error: str | None, attempts: int) -> None:
        with self._lock:
            self.db["tickets"].update(ticket_id, {"writeback": state, "writeback_error": error,
                                                   "writeback_attempts": attempts, "updated_at": now()})

    def get(self, ticket_id: int) -> dict | None:
        try:
            row = self.db["tickets"].get(ticket_id)
        except sqlite_utils.db.NotFoundError:
            return None
        return {**row, "result": json.loads(row["result"]) if row["result"] else None}

    def queued_ids(self) -> list[int]:
        """Tickets accepted but not triaged yet (e.g. when the process stopped): the worker resumes them."""
        return [r["id"] for r in self.db.query("select id from tickets where status = 'queued' order by id")]

    def failed_writebacks(self) -> list[int]:
        """Triaged tickets whose write-back to the helpdesk failed (retried when the worker starts)."""
        return [r["id"] for r in self.db.query("select id from tickets where writeback = 'failed' order by id")]

    def queue(self, statuses=("new", "in review"), limit: int = 1000) -> list[dict]:
        """Open tickets by SLA due time, overdue first (earliest due first; untriaged last)."""
        marks = ",".join("?" for _ in statuses)
        return list(self.db.query(
            f"select id, source, external_id, subject, status, sla_due_at, received_at, result, writeback, "
            f"writeback_error from tickets "
            f"where status in ({marks}) order by sla_due_at is null, sla_due_at, id limit ?", [*statuses, limit]))

    def count(self) -> int:
        return self.db["tickets"].count
