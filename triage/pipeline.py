"""Triager: runs the stages in order, times each, returns a TriageResult.

UI and scripts call this; stages never import the UI."""
from __future__ import annotations

import time
from contextlib import contextmanager

from triage.classify import LLMClassifier
from triage.config import Settings, get_settings
from triage.pii import mask_pii
from triage.preprocess import clean_ticket, detect_language, truncate_to_tokens
from triage.schema import StageTiming, Ticket, TriageResult

# Raw input beyond this is cut before parsing (a 1 MB paste must not stall the parsers);
# the model-token truncation that follows is the real limit.
MAX_INPUT_CHARS = 200_000


class Triager:
    def __init__(self, settings: Settings | None = None, llm=None):
        self.settings = settings or get_settings()
        if llm is None:
            from models.llm import get_llm

            llm = get_llm(self.settings.model, self.settings.data_dir, self.settings.n_threads,
                          self.settings.n_ctx, self.settings.reuse_prefix_cache)
        self.llm = llm
        self.classifier = LLMClassifier(llm)
        detect_language("warm up the language profiles once at start-up")

    def run(self, ticket: Ticket | str) -> TriageResult:
        if isinstance(ticket, str):
            ticket = Ticket(text=ticket)
        timings: list[StageTiming] = []

        @contextmanager
        def stage(name: str):
            start = time.perf_counter()
            yield
            timings.append(StageTiming(name=name, seconds=time.perf_counter() - start))

        with stage("preprocess"):
            raw_truncated = len(ticket.text) > MAX_INPUT_CHARS
            cleaned = clean_ticket(ticket.text, ticket.subject, max_chars=MAX_INPUT_CHARS)
        with stage("pii"):
            masked, pii = mask_pii(cleaned.text, cleaned.language)
        with stage("truncate"):
            masked, token_truncated = truncate_to_tokens(
                masked, self.settings.max_ticket_tokens, self.llm.tokenize, self.llm.detokenize
            )
        with stage("classify"):
            classification, stats = self.classifier.classify(masked, cleaned.language)
        return TriageResult(
            ticket_id=ticket.id,
            classification=classification,
            language=cleaned.language,
            masked_text=masked,
            truncated=raw_truncated or token_truncated,
            pii=pii,
            model=self.llm.name,
            timings=timings,
            prompt_tokens=stats.prompt_tokens,
            prompt_tokens_evaluated=stats.prompt_tokens_evaluated,
            generated_tokens=stats.generated_tokens,
            llm_calls=stats.llm_calls,
        )
