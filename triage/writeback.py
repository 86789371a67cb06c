"""Write-back: send the triage (priority, tags, group, an internal note with the draft) to the
helpdesk the ticket came from, when its base URL and a token are configured. Retries with
exponential backoff on connection errors, 429 and 5xx; every outcome (sent / failed, the last
error, attempts) is recorded in the ticket store, and failed ones are retried when the worker starts.

Zendesk: PUT {url}/api/v2/tickets/{id}.json with the update and the note as a private comment
(Bearer token). Freshdesk: PUT {url}/api/v2/tickets/{id} (priority, tags, group), then POST
{url}/api/v2/tickets/{id}/notes (private), basic auth with the API key."""
from __future__ import annotations

import time

import httpx

from triage.helpdesk import freshdesk_update, zendesk_update
from triage.schema import TriageResult

RETRY_STATUSES = {429, 500, 502, 503, 504}


class WriteBack:
    def __init__(self, zendesk_url: str | None = None, freshdesk_url: str | None = None, token: str | None = None,
                 attempts: int = 4, backoff_s: float = 0.5, timeout_s: float = 10.0, sleep=time.sleep):
        self.urls = {k: v.rstrip("/") for k, v in (("zendesk", zendesk_url), ("freshdesk", freshdesk_url)) if v}
        self.token, self.attempts, self.backoff_s, self.sleep = token, attempts, backoff_s, sleep
        self.client = httpx.Client(timeout=timeout_s)

    def handles(self, source: str) -> bool:
        return bool(self.token) and source in self.urls

    def _requests(self, source: str, external_id: str, result: TriageResult) -> list[tuple]:
        """(method, url, JSON payload, headers, auth) per request."""
        base = self.urls[source]
        if source == "zendesk":
            return [("PUT", f"{base}/api/v2/tickets/{external_id}.json", zendesk_update(result),
                     {"Authorization": f"Bearer {self.token}"}, None)]
        update = freshdesk_update(result)
        note = update.pop("note")
        basic = (self.token, "X")  # Freshdesk: the API key as user name, any password
        return [("PUT", f"{base}/api/v2/tickets/{external_id}", update, {}, basic),
                ("POST", f"{base}/api/v2/tickets/{external_id}/notes", note, {}, basic)]

    def send(self, source: str, external_id: str, result: TriageResult) -> tuple[str, str | None, int]:
        """(state 'sent' | 'failed', the last error, attempts made)."""
        attempts = 0
        for method, url, payload, headers, auth in self._requests(source, external_id, result):
            for attempt in range(self.attempts):
                attempts += 1
                try:
                    response = self.client.request(method, url, json=payload, headers=headers, auth=auth)
                    if response.status_code < 300:
                        break
                    error = f"{method} {url}: HTTP {response.status_code} {response.text[:200]}"
                    if response.status_code not in RETRY_STATUSES:
                        return "failed", error, attempts
                except httpx.HTTPError as exc:
                    error = f"{method} {url}: {type(exc).__name__}: {exc}"
                if attempt + 1 < self.attempts:
                    self.sleep(self.backoff_s * 2 ** attempt)
            else:
                return "failed", error, attempts
        return "sent", None, attempts
