"""Intake speed: webhook accept latency (signed Zendesk posts over HTTP on loopback: masking +
SQLite, triage runs behind it) and the queue view's time for 1,000 stored tickets.

    python -m scripts.bench_intake [--posts 200] [--tickets 1000]"""
from __future__ import annotations

import argparse
import json
import socket
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from scripts.metrics import percentile
from triage.config import get_settings
from triage.intake import zendesk_signature
from triage.prepare import Preparer
from triage.queue_view import queue_rows
from triage.service import intake_router
from triage.ticket_store import TicketStore
from triage.wiring import masker


class _NoWorker:
    """Accepts without triaging: the benchmark measures the intake, not the model."""

    def submit(self, ticket_id: int) -> bool:
        return True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=200)
    ap.add_argument("--tickets", type=int, default=1000)
    args = ap.parse_args(argv)
    store = TicketStore(Path(tempfile.mkdtemp()) / "tickets.db")
    api = FastAPI()
    api.include_router(intake_router(store, _NoWorker(), Preparer(0, masker=masker(get_settings())), "bench"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    latencies = []
    with httpx.Client() as client:
        for i in range(args.posts):
            body = json.dumps({"detail": {"id": str(i), "subject": "Charged twice", "description":
                                          f"I was charged twice, mail me at ana{i}@example.com, order 4821{i}"}}).encode()
            stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
            headers = {"X-Zendesk-Webhook-Signature": zendesk_signature("bench", stamp, body),
                       "X-Zendesk-Webhook-Signature-Timestamp": stamp}
            start = time.perf_counter()
            response = client.post(f"http://127.0.0.1:{port}/webhooks/zendesk", content=body, headers=headers)
            latencies.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 202, response.text
    server.should_exit = True
    result = {"classification": {"primary_category": "billing", "urgency": "P2", "sentiment": "neutral",
                                 "summary": "Charged twice", "needs_human_review": False},
              "churn": {"present": False}, "upsell": {"present": False}, "language": "en"}
    for i in range(args.tickets):
        ticket_id, _ = store.accept("api", f"q{i}", "masked text")
        store.record_result(ticket_id, {**result, "routing": {"queue": "Billing", "team": "Billing", "escalated": False,
                                                             "due_at": f"2026-12-{1 + i % 28:02d}T10:00:00+00:00"}})
    start = time.perf_counter()
    rows, _ = queue_rows(store)
    view_ms = (time.perf_counter() - start) * 1000
    print(json.dumps({"accept_ms": {"p50": round(percentile(latencies, 0.5), 1), "p95": round(percentile(latencies, 0.95), 1)},
                      "queue_view_ms": round(view_ms, 1), "queue_rows": len(rows)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
