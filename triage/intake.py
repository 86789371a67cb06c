"""Helpdesk intake: who may post a ticket (signatures, shared secrets) and where the ticket is in each
helpdesk's payload. No web framework here: triage.service maps these to HTTP answers.

- Zendesk signs webhooks: base64(HMAC-SHA256(secret, timestamp + raw body)) in
  X-Zendesk-Webhook-Signature, the timestamp in X-Zendesk-Webhook-Signature-Timestamp. We compare in
  constant time and refuse timestamps outside the replay window.
- Freshdesk webhooks carry no signature: a shared secret header (X-Triage-Secret) or HTTP basic
  auth with the secret as password.
- The generic API: `Authorization: Bearer <secret>` or X-Triage-Secret."""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone

REPLAY_WINDOW_SECONDS = 300
MAX_BODY_BYTES = 256 * 1024


class Rejected(Exception):
    """A request we refuse: `status` is the HTTP status, the message says why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Incoming:
    external_id: str
    subject: str
    text: str


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def check_zendesk(secret: str, headers, body: bytes, now: datetime | None = None) -> None:
    signature = headers.get("x-zendesk-webhook-signature")
    timestamp = headers.get("x-zendesk-webhook-signature-timestamp")
    if not signature or not timestamp:
        raise Rejected(401, "missing X-Zendesk-Webhook-Signature or X-Zendesk-Webhook-Signature-Timestamp")
    if not hmac.compare_digest(zendesk_signature(secret, timestamp, body), signature):
        raise Rejected(401, "signature does not match")
    try:
        sent = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        raise Rejected(401, "signature timestamp is not an ISO 8601 time")
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=timezone.utc)
    age = abs(((now or datetime.now(timezone.utc)) - sent).total_seconds())
    if age > REPLAY_WINDOW_SECONDS:
        raise Rejected(401, f"signature timestamp is {int(age)} s away from now (replay window {REPLAY_WINDOW_SECONDS} s)")


def check_shared_secret(secret: str, headers) -> None:
    """X-Triage-Secret, `Authorization: Bearer <secret>`, or basic auth with the secret as password."""
    given = headers.get("x-triage-secret")
    auth = headers.get("authorization") or ""
    if not given and auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    if not given and auth.lower().startswith("basic "):
        try:
            given = base64.b64decode(auth[6:].strip()).decode().split(":", 1)[1]
        except (ValueError, IndexError, UnicodeDecodeError):
            raise Rejected(401, "malformed basic auth")
    if not given or not hmac.compare_digest(given.encode(), secret.encode()):
        raise Rejected(401, "missing or wrong shared secret")


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def parse_zendesk(payload: dict) -> Incoming:
    """A Zendesk event webhook (`{"type": "zen:event-type:ticket.created", "detail": {...}}`) or a
    trigger webhook with a JSON body built from placeholders (`{"ticket": {"id", "subject", "description"}}`)."""
    ticket = payload.get("detail") if isinstance(payload.get("detail"), dict) else payload.get("ticket")
    if not isinstance(ticket, dict):
        raise Rejected(400, "no ticket in the payload: expected 'detail' (event webhook) or 'ticket' (trigger)")
    external_id = _text(ticket.get("id"))
    text = _text(ticket.get("description") or ticket.get("latest_comment") or ticket.get("comment"))
    if not external_id or not text:
        raise Rejected(400, "the ticket needs an id and a description")
    return Incoming(external_id, _text(ticket.get("subject")), text)


def parse_freshdesk(payload: dict) -> Incoming:
    """Freshdesk's automation webhook, `{"freshdesk_webhook": {"ticket_id", "ticket_subject",
    "ticket_description"}}` (its placeholders), or the same keys at the top level."""
    ticket = payload.get("freshdesk_webhook") if isinstance(payload.get("freshdesk_webhook"), dict) else payload
    external_id = _text(ticket.get("ticket_id") or ticket.get("id"))
    text = _text(ticket.get("ticket_description") or ticket.get("description") or ticket.get("description_text"))
    if not external_id or not text:
        raise Rejected(400, "the ticket needs ticket_id and ticket_description")
    return Incoming(external_id, _text(ticket.get("ticket_subject") or ticket.get("subject")), text)


def parse_generic(payload: dict) -> Incoming:
    """`{"id": optional, "subject": optional, "text": required}`; without an id every post is a new ticket."""
    text = _text(payload.get("text"))
    if not text:
        raise Rejected(400, "'text' is required")
    external_id = _text(payload.get("id")) or hashlib.sha1(f"{datetime.now().isoformat()}{text}".encode()).hexdigest()
    return Incoming(external_id, _text(payload.get("subject")), text)


PARSERS = {"zendesk": parse_zendesk, "freshdesk": parse_freshdesk, "api": parse_generic}
