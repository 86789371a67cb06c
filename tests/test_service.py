"""Helpdesk intake over a real HTTP server on loopback: signatures, shared secrets, limits,
idempotency, concurrency, and a queue that survives a restart."""
import base64
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from triage.intake import MAX_BODY_BYTES, zendesk_signature
from triage.service import intake_router
from triage.ticket_store import TicketStore
from triage.work_queue import WorkQueue

SECRET = "s3cret-for-tests"
RAW_EMAIL = "lena.vogt@example.org"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(store, work_queue, preparer, secret=SECRET):
    app = FastAPI()
    app.include_router(intake_router(store, work_queue, preparer, secret))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{server.config.port}"


@pytest.fixture
def intake(make_triager, tmp_path):
    triager = make_triager(mode="evidence")
    store = TicketStore(tmp_path / "tickets.db")
    work_queue = WorkQueue(store, triager).start()
    server, url = serve(store, work_queue, triager.prepare)
    yield store, work_queue, url, triager
    server.should_exit = True
    work_queue.stop()


def signed(body: bytes, secret=SECRET, when=None) -> dict:
    stamp = (when or datetime.now(timezone.utc)).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"X-Zendesk-Webhook-Signature": zendesk_signature(secret, stamp, body),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp, "Content-Type": "application/json"}


def zendesk_body(ticket_id="1001", text=f"I was charged twice this month, mail me at {RAW_EMAIL}") -> bytes:
    return json.dumps({"type": "zen:event-type:ticket.created", "detail": {
        "id": ticket_id, "subject": "Double charge", "description": text}}).encode()


def test_a_signed_zendesk_ticket_is_accepted_at_once_masked_and_triaged(intake):
    store, work_queue, url, _ = intake
    body = zendesk_body()
    response = httpx.post(f"{url}/webhooks/zendesk", content=body, headers=signed(body))
    assert response.status_code == 202 and response.json()["status"] == "queued"
    queue_id = response.json()["queue_id"]
    assert work_queue.join(120)
    got = httpx.get(f"{url}/api/tickets/{queue_id}", headers={"Authorization": f"Bearer {SECRET}"}).json()
    assert got["status"] == "new" and got["result"]["classification"]["primary_category"] == "billing"
    assert RAW_EMAIL not in json.dumps(got) and "[EMAIL]" in got["masked_text"]
    assert got["sla_due_at"] == got["result"]["routing"]["due_at"]


@pytest.mark.parametrize("headers,body,status", [
    ({}, zendesk_body(), 401),  # unsigned
    (signed(zendesk_body(), secret="wrong"), zendesk_body(), 401),
    (signed(zendesk_body(), when=datetime.now(timezone.utc) - timedelta(minutes=30)), zendesk_body(), 401),  # replay
    (signed(b"{not json"), b"{not json", 400),
    (signed(b"[1, 2]"), b"[1, 2]", 400),
    (signed(b'{"detail": {"id": "9"}}'), b'{"detail": {"id": "9"}}', 400),  # no description
])
def test_bad_zendesk_requests_are_refused_and_nothing_is_stored(intake, headers, body, status):
    store, _, url, _ = intake
    response = httpx.post(f"{url}/webhooks/zendesk", content=body, headers=headers)
    assert response.status_code == status and response.json()["error"]
    assert store.count() == 0


def test_oversized_body_is_refused(intake):
    store, _, url, _ = intake
    body = zendesk_body(text="x" * (MAX_BODY_BYTES + 10))
    response = httpx.post(f"{url}/webhooks/zendesk", content=body, headers=signed(body))
    assert response.status_code == 413 and store.count() == 0


def test_redelivery_updates_instead_of_duplicating(intake):
    store, _, url, _ = intake
    body = zendesk_body(ticket_id="77")
    first = httpx.post(f"{url}/webhooks/zendesk", content=body, headers=signed(body)).json()
    second = httpx.post(f"{url}/webhooks/zendesk", content=body, headers=signed(body)).json()
    assert first["queue_id"] == second["queue_id"] and first["created"] and not second["created"]
    assert store.count() == 1 and store.get(first["queue_id"])["deliveries"] == 2


def test_freshdesk_and_generic_api_use_the_shared_secret(intake):
    store, _, url, _ = intake
    payload = {"freshdesk_webhook": {"ticket_id": 5, "ticket_subject": "Login", "ticket_description": "I cannot log in"}}
    basic = base64.b64encode(f"freshdesk:{SECRET}".encode()).decode()
    assert httpx.post(f"{url}/webhooks/freshdesk", json=payload, headers={"Authorization": f"Basic {basic}"}).status_code == 202
    assert httpx.post(f"{url}/webhooks/freshdesk", json=payload, headers={"X-Triage-Secret": "nope"}).status_code == 401
    ok = httpx.post(f"{url}/api/tickets", json={"text": "The export button does nothing"},
                    headers={"Authorization": f"Bearer {SECRET}"})
    assert ok.status_code == 202
    assert httpx.post(f"{url}/api/tickets", json={"text": "hi"}).status_code == 401
    assert store.count() == 2


def test_fifty_concurrent_posts_are_all_stored_once(intake):
    store, work_queue, url, _ = intake

    def post(i):
        body = zendesk_body(ticket_id=str(i % 50), text=f"Ticket {i % 50}: the invoice export fails with error 500")
        return httpx.post(f"{url}/webhooks/zendesk", content=body, headers=signed(body), timeout=60).status_code

    with ThreadPoolExecutor(max_workers=25) as pool:
        codes = list(pool.map(post, range(100)))  # 50 tickets, each delivered twice
    assert codes == [202] * 100
    assert store.count() == 50
    assert work_queue.join(300) and all(r["status"] == "new" for r in store.queue(limit=100))


def test_webhooks_are_off_until_a_secret_is_set(make_triager, tmp_path):
    triager = make_triager(mode="evidence")
    store = TicketStore(tmp_path / "t.db")
    server, url = serve(store, WorkQueue(store, triager), triager.prepare, secret=None)
    try:
        body = zendesk_body()
        assert httpx.post(f"{url}/webhooks/zendesk", content=body, headers=signed(body)).status_code == 503
        assert store.count() == 0
    finally:
        server.should_exit = True


def test_a_restart_keeps_the_queue(make_triager, tmp_path):
    triager = make_triager(mode="evidence")
    store = TicketStore(tmp_path / "t.db")
    ids = [store.accept("api", str(i), f"My password reset e-mail never arrives ({i})")[0] for i in range(3)]
    del store  # the process stopped before the worker ran
    reopened = TicketStore(tmp_path / "t.db")
    assert reopened.queued_ids() == ids
    work_queue = WorkQueue(reopened, triager).start()
    try:
        assert work_queue.join(120)
        assert [reopened.get(i)["status"] for i in ids] == ["new"] * 3
    finally:
        work_queue.stop()


def test_write_back_retries_then_sends_and_records_failures_against_a_fake_helpdesk(make_triager, tmp_path):
    """A fake Zendesk on loopback answers 503 twice, then 200; ticket 500 always fails: recorded, not lost."""
    from fastapi import Request

    from triage.writeback import WriteBack

    calls = []
    fake = FastAPI()

    @fake.put("/api/v2/tickets/{ticket_id}.json")
    async def update(ticket_id: str, request: Request):
        calls.append((ticket_id, await request.json(), request.headers.get("authorization")))
        if ticket_id == "500" or sum(1 for c in calls if c[0] == ticket_id) <= 2:
            return JSONResponse({"error": "busy"}, status_code=503)
        return {"ticket": {"id": ticket_id}}

    server = uvicorn.Server(uvicorn.Config(fake, host="127.0.0.1", port=_free_port(), log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    triager = make_triager(mode="evidence")
    store = TicketStore(tmp_path / "t.db")
    writeback = WriteBack(zendesk_url=f"http://127.0.0.1:{server.config.port}", token="tok", backoff_s=0.01)
    ok_id = store.accept("zendesk", "42", "The invoice export fails with error 500 since Monday")[0]
    bad_id = store.accept("zendesk", "500", "Our whole shop is down, nobody can pay")[0]
    work_queue = WorkQueue(store, triager, writeback=writeback).start()
    try:
        assert work_queue.join(120)
        sent, failed = store.get(ok_id), store.get(bad_id)
        assert (sent["writeback"], sent["writeback_attempts"]) == ("sent", 3)
        assert failed["writeback"] == "failed" and failed["writeback_attempts"] == 4 and "503" in failed["writeback_error"]
        body = next(c[1] for c in calls if c[0] == "42")["ticket"]
        assert body["priority"] in ("urgent", "high", "normal", "low") and body["comment"]["public"] is False
        assert calls[0][2] == "Bearer tok" and store.failed_writebacks() == [bad_id]
    finally:
        work_queue.stop()
        server.should_exit = True
