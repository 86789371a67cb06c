"""A bounded work queue with one worker (the LLM is one worker): accepted tickets are stored first
(masked, status queued), then triaged in order; results go to the store. Tickets still queued when
the process stopped are picked up again when it starts."""
from __future__ import annotations

import queue
import threading
import traceback

from triage.schema import Ticket, TriageResult
from triage.ticket_store import TicketStore


class WorkQueue:
    def __init__(self, store: TicketStore, triager, maxsize: int = 1000, with_draft: bool = True, writeback=None):
        self.store, self.triager, self.with_draft = store, triager, with_draft
        self.writeback = writeback  # triage.writeback.WriteBack, or None when no helpdesk is configured
        self._queue: queue.Queue[int] = queue.Queue(maxsize=maxsize)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="triage-worker", daemon=True)
        self._retry_writebacks: list[int] = []

    def start(self) -> "WorkQueue":
        for ticket_id in self.store.queued_ids():
            self.submit(ticket_id)
        self._retry_writebacks = self.store.failed_writebacks() if self.writeback else []
        self._thread.start()
        return self

    def submit(self, ticket_id: int) -> bool:
        """Queue a stored ticket; False when the queue is full (it stays stored as queued and the
        worker picks it up when the queue drains)."""
        try:
            self._queue.put_nowait(ticket_id)
            return True
        except queue.Full:
            return False

    def pending(self) -> int:
        return self._queue.qsize()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def join(self, timeout: float = 60) -> bool:
        """Wait until every queued ticket is triaged (tests, shutdown); True when drained."""
        done = threading.Event()

        def wait():
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def _work(self) -> None:
        for ticket_id in self._retry_writebacks:  # failed write-backs are retried, never dropped
            row = self.store.get(ticket_id)
            if row and row["result"]:
                self._write_back(ticket_id, row, TriageResult.model_validate(row["result"]))
        while not self._stop.is_set():
            try:
                ticket_id = self._queue.get(timeout=1.0)
            except queue.Empty:
                for missed in self.store.queued_ids():  # stored while the queue was full
                    if not self.submit(missed):
                        break
                continue
            try:
                self._triage(ticket_id)
            finally:
                self._queue.task_done()

    def _triage(self, ticket_id: int) -> None:
        row = self.store.get(ticket_id)
        if row is None or row["status"] != "queued":
            return
        try:
            result = self.triager.run(Ticket(text=row["masked_text"], subject=row["subject"] or "",
                                             id=f"{row['source']}:{row['external_id']}"), with_draft=self.with_draft)
            self.store.record_result(ticket_id, result.model_dump(mode="json"))
        except Exception as exc:  # one bad ticket must not stop the worker; the error is kept
            self.store.record_failure(ticket_id, f"{type(exc).__name__}: {exc}")
            traceback.print_exc()
            return
        self._write_back(ticket_id, row, result)

    def _write_back(self, ticket_id: int, row: dict, result: TriageResult) -> None:
        if self.writeback is not None and self.writeback.handles(row["source"]):
            state, error, attempts = self.writeback.send(row["source"], row["external_id"], result)
            self.store.record_writeback(ticket_id, state, error, attempts)
