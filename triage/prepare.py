"""The first stage every ticket goes through: clean-up, PII masking, truncation. What comes out
(`Prepared`) is all a labeler sees."""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

from triage.pii import Masker
from triage.preprocess import CleanText, clean_ticket, truncate_to_tokens
from triage.schema import PIIReport, StageTiming, Ticket

# Raw input beyond this is cut before parsing (a 1 MB paste must not stall the parsers);
# the model-token truncation that follows is the real limit.
MAX_INPUT_CHARS = 200_000
# Ticket length cap (characters) when no LLM tokenizer is loaded (evidence mode).
EVIDENCE_MAX_CHARS = 4000


@dataclass
class Prepared:
    ticket: Ticket
    cleaned: CleanText
    masked: str
    pii: PIIReport
    truncated: bool
    timings: list[StageTiming] = field(default_factory=list)

    @property
    def language(self) -> str:
        return self.cleaned.language


def map_keeping_errors(fn, items) -> list:
    """fn(item) for each item; where the call raises, the exception takes the result's place
    (one bad ticket never sinks a batch)."""
    out: list = []
    for item in items:
        try:
            out.append(fn(item))
        except Exception as exc:
            out.append(exc)
    return out


def stage_timer(timings: list[StageTiming]):
    """`with stage("name"):` appends the block's wall time to timings."""

    @contextmanager
    def stage(name: str):
        start = time.perf_counter()
        yield
        timings.append(StageTiming(name=name, seconds=time.perf_counter() - start))

    return stage


@dataclass
class Preparer:
    """Cleans, masks and truncates. With a tokenizer (an LLM is loaded) the limit is in model
    tokens, otherwise in characters."""

    max_ticket_tokens: int
    tokenize: Callable | None = None
    detokenize: Callable | None = None
    masker: Masker = field(default_factory=Masker)

    def mask(self, text: str, language: str | None = None) -> str:
        """Mask text that is about to be stored (an agent's reply, a correction sent by API)."""
        return self.masker(text or "", language)[0]

    def clean_and_mask(self, text: str, subject: str = "") -> tuple[CleanText, str, PIIReport]:
        """The one masking path (live tickets, KB additions, the KB build): clean, then mask."""
        cleaned = clean_ticket(text, subject, max_chars=MAX_INPUT_CHARS)
        masked, pii = self.masker(cleaned.text, cleaned.language)
        return cleaned, masked, pii

    def __call__(self, ticket: Ticket | str) -> Prepared:
        if isinstance(ticket, str):
            ticket = Ticket(text=ticket)
        timings: list[StageTiming] = []
        stage = stage_timer(timings)
        with stage("preprocess"):
            raw_truncated = len(ticket.text) > MAX_INPUT_CHARS
            cleaned = clean_ticket(ticket.text, ticket.subject, max_chars=MAX_INPUT_CHARS)
        with stage("pii"):
            masked, pii = self.masker(cleaned.text, cleaned.language)
        with stage("truncate"):
            if self.tokenize is not None:
                masked, token_truncated = truncate_to_tokens(masked, self.max_ticket_tokens, self.tokenize,
                                                             self.detokenize)
            else:
                token_truncated = len(masked) > EVIDENCE_MAX_CHARS
                masked = masked[:EVIDENCE_MAX_CHARS]
        return Prepared(ticket, cleaned, masked, pii, raw_truncated or token_truncated, timings)
