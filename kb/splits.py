"""Deterministic split of the curated tickets. Only the `kb` split is ever ingested or
trained on; `dev` is for choices (weights, thresholds); `test` is only reported."""
import hashlib


def curated_split(ticket_id: str) -> str:
    bucket = int(hashlib.sha1(ticket_id.encode("utf-8")).hexdigest(), 16) % 20
    if bucket < 5:
        return "test"
    if bucket < 8:
        return "dev"
    return "kb"
