"""HTTP intake served by the same process as the UI: helpdesk webhooks and a generic ticket API.

    POST /webhooks/zendesk     signed (X-Zendesk-Webhook-Signature + timestamp), ticket.created payloads
    POST /webhooks/freshdesk   shared secret (X-Triage-Secret or basic auth), automation webhook payloads
    POST /api/tickets          shared secret (Bearer or X-Triage-Secret), {"id"?, "subject"?, "text"}
    GET  /api/tickets/{id}     the stored ticket: status and, once triaged, the full result

A ticket is masked when it is accepted, stored as queued (idempotent by source + external id: a
redelivery updates, never duplicates), handed to the work queue, and the request returns 202 with
its queue id at once. Webhooks answer 503 until TRIAGE_WEBHOOK_SECRET is set."""
from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from triage.intake import MAX_BODY_BYTES, PARSERS, Rejected, check_shared_secret, check_zendesk
from triage.schema import EmptyTicketError


async def checked_payload(source: str, request: Request, secret: str | None) -> dict:
    """The request's JSON object once the intake is on, the body is small enough and the caller
    is authenticated; raises Rejected with the HTTP status otherwise."""
    if not secret:
        raise Rejected(503, "webhooks are off: set TRIAGE_WEBHOOK_SECRET to accept tickets")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Rejected(413, f"body larger than {MAX_BODY_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise Rejected(413, f"body larger than {MAX_BODY_BYTES} bytes")
    if source == "zendesk":
        check_zendesk(secret, request.headers, body)
    else:
        check_shared_secret(secret, request.headers)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Rejected(400, f"malformed JSON: {exc}")
    if not isinstance(payload, dict):
        raise Rejected(400, "the JSON body must be an object")
    return payload


def intake_router(store, work_queue, preparer, secret: str | None) -> APIRouter:
    router = APIRouter()

    async def accept(source: str, request: Request) -> JSONResponse:
        try:
            incoming = PARSERS[source](await checked_payload(source, request, secret))
            try:
                _, masked, _ = preparer.clean_and_mask(incoming.text)
            except EmptyTicketError as exc:
                raise Rejected(400, str(exc))
            ticket_id, created = store.accept(source, incoming.external_id, masked, preparer.mask(incoming.subject))
        except Rejected as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        queued = work_queue.submit(ticket_id)
        return JSONResponse({"queue_id": ticket_id, "created": created, "status": "queued",
                             **({} if queued else {"note": "queue full: stored, triaged when the queue drains"})},
                            status_code=202)

    @router.post("/webhooks/zendesk")
    async def zendesk(request: Request):
        return await accept("zendesk", request)

    @router.post("/webhooks/freshdesk")
    async def freshdesk(request: Request):
        return await accept("freshdesk", request)

    @router.post("/api/tickets")
    async def api_ticket(request: Request):
        return await accept("api", request)

    @router.get("/api/tickets/{ticket_id}")
    async def get_ticket(ticket_id: int, request: Request):
        try:
            if not secret:
                raise Rejected(503, "the ticket API is off: set TRIAGE_WEBHOOK_SECRET")
            check_shared_secret(secret, request.headers)
        except Rejected as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        row = store.get(ticket_id)
        if row is None:
            return JSONResponse({"error": f"no ticket {ticket_id}"}, status_code=404)
        return JSONResponse(row)

    return router
