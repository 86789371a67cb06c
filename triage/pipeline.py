"""Triager: runs the stages in order, times each, returns a TriageResult.

Modes (``TRIAGE_MODE``):
- ``evidence``: labels from the KB evidence heads and rules; no LLM call (batch speed).
- ``hybrid`` (default): the same decided labels, passed to the Outlines-constrained LLM as
  single allowed values, so the LLM writes the record's summary and subcategory.
- ``llm``: the LLM alone chooses every field (the baseline the evaluation compares against).
UI and scripts call this; stages never import the UI."""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass

from triage.classify import extractive_summary
from triage.config import Settings, get_settings
from triage.pii import mask_pii
from triage.preprocess import clean_ticket, detect_language, truncate_to_tokens
from triage.schema import (
    Classification,
    Decision,
    SimilarTicket,
    StageTiming,
    Ticket,
    TriageResult,
)

# Raw input beyond this is cut before parsing (a 1 MB paste must not stall the parsers);
# the model-token truncation that follows is the real limit.
MAX_INPUT_CHARS = 200_000
MODES = ("llm", "evidence", "hybrid")
LABEL_FIELDS = ("primary_category", "secondary_category", "urgency", "sentiment", "escalation_risk",
                "confidence", "needs_human_review")  # what the LLM chooses alone in llm mode
# Evidence-mode ticket length cap (characters) when no LLM tokenizer is loaded.
EVIDENCE_MAX_CHARS = 4000


class Triager:
    def __init__(self, settings: Settings | None = None, llm=None, kb=None, mode: str | None = None):
        self.settings = settings or get_settings()
        self.mode = mode or self.settings.mode
        if self.mode not in MODES:
            raise ValueError(f"Unknown mode {self.mode!r}: TRIAGE_MODE / --mode must be one of {', '.join(MODES)}.")
        self.llm = None
        self.classifier = None
        if self.mode in ("llm", "hybrid"):
            from triage.classify import LLMClassifier

            if llm is None:
                from models.llm import get_llm

                llm = get_llm(self.settings.model, self.settings.data_dir, self.settings.n_threads,
                              self.settings.n_ctx, self.settings.reuse_prefix_cache)
            self.llm = llm
            self.classifier = LLMClassifier(llm)
        self.kb = kb
        self.evidence = None
        if self.mode in ("evidence", "hybrid"):
            from triage.evidence import EvidenceLayer

            if self.kb is None:
                from kb.store import KnowledgeBase
                from models.embedder import TicketEmbedder

                self.kb = KnowledgeBase(self.settings.kb_path, TicketEmbedder(threads=self.settings.embed_threads))
            self.kb.check()
            self.evidence = EvidenceLayer(self.kb, self.settings)
        from triage.routing import load_routing

        self.routing_config = load_routing(self.settings.routing_file)  # invalid file: fails here
        self.drafter = None
        if self.llm is not None and self.kb is not None:
            from triage.draft import Drafter

            self.drafter = Drafter(self.llm, self.kb, self.settings.retrieval_k, max_tokens=self.settings.draft_max_tokens,
                                   auto_reply=self.routing_config.auto_reply,
                                   adapt_min_similarity=self.settings.draft_adapt_min_similarity)
        detect_language("warm up the language profiles once at start-up")

    @property
    def model_name(self) -> str:
        return self.llm.name if self.llm is not None else "none (evidence mode)"

    def run(self, ticket: Ticket | str, with_draft: bool = False) -> TriageResult:
        result = None
        for result in self.stream(ticket, with_draft=with_draft):
            pass
        return result

    def stream(self, ticket: Ticket | str, with_draft: bool = True):
        """Yields the TriageResult without a draft, then (if drafting) the draft text as it grows
        (str), then the final TriageResult with the grounded draft."""
        prepared = self._prepare(ticket)
        evidence = None
        if self.evidence is not None:
            start = time.perf_counter()
            evidence = self.evidence.assess(prepared.masked)
            prepared.timings.append(StageTiming(name="evidence", seconds=time.perf_counter() - start))
        result = self._finish(prepared, evidence)
        if not (with_draft and self.drafter is not None):
            yield result
            return
        yield result
        from triage.draft import Draft

        c = result.classification
        start = time.perf_counter()
        final = None
        for item in self.drafter.stream(result.masked_text, result.language, c.sentiment, c.urgency,
                                        c.primary_category, evidence.vector if evidence else None,
                                        vague=bool(evidence) and c.needs_human_review and len(result.masked_text.split()) <= 3):
            if isinstance(item, Draft):
                final = item
            else:
                yield item
        result.draft = final
        result.timings.append(StageTiming(name="draft", seconds=time.perf_counter() - start))
        yield result

    def run_many(self, tickets: list[Ticket | str]) -> list[TriageResult | Exception]:
        """Batch triage: embeddings are computed in one batch (evidence/hybrid modes). Each item
        is a TriageResult, or the exception that ticket raised (e.g. EmptyTicketError)."""
        prepared: list = []
        for ticket in tickets:
            try:
                prepared.append(self._prepare(ticket))
            except Exception as exc:  # one bad ticket never sinks the batch
                prepared.append(exc)
        ok = [p for p in prepared if not isinstance(p, Exception)]
        evidences = {}
        if self.evidence is not None and ok:
            start = time.perf_counter()
            for p, ev in zip(ok, self.evidence.assess_many([p.masked for p in ok])):
                evidences[id(p)] = ev
            per_ticket = (time.perf_counter() - start) / len(ok)
            for p in ok:
                p.timings.append(StageTiming(name="evidence", seconds=per_ticket))
        results: list = []
        for p in prepared:
            if isinstance(p, Exception):
                results.append(p)
                continue
            try:
                results.append(self._finish(p, evidences.get(id(p))))
            except Exception as exc:
                results.append(exc)
        return results

    def _prepare(self, ticket: Ticket | str) -> "_Prepared":
        if isinstance(ticket, str):
            ticket = Ticket(text=ticket)
        timings: list[StageTiming] = []
        stage = _stage_timer(timings)

        with stage("preprocess"):
            raw_truncated = len(ticket.text) > MAX_INPUT_CHARS
            cleaned = clean_ticket(ticket.text, ticket.subject, max_chars=MAX_INPUT_CHARS)
        with stage("pii"):
            masked, pii = mask_pii(cleaned.text, cleaned.language)
        with stage("truncate"):
            if self.llm is not None:
                masked, token_truncated = truncate_to_tokens(
                    masked, self.settings.max_ticket_tokens, self.llm.tokenize, self.llm.detokenize)
            else:
                token_truncated = len(masked) > EVIDENCE_MAX_CHARS
                masked = masked[:EVIDENCE_MAX_CHARS]
        return _Prepared(ticket, cleaned, masked, pii, raw_truncated or token_truncated, timings)

    def _finish(self, prepared: "_Prepared", evidence) -> TriageResult:
        timings = prepared.timings
        masked, cleaned = prepared.masked, prepared.cleaned
        stage = _stage_timer(timings)

        decided = None
        similar: list[SimilarTicket] = []
        if evidence is not None:
            from triage.decide import decide

            similar = [SimilarTicket(id=h.id, similarity=round(h.similarity, 4), category=h.category,
                                     urgency=h.urgency, source=h.source, text=h.text[:500],
                                     resolution=(h.resolution or "")[:1000])
                       for h in evidence.hits[: self.settings.retrieval_k]]
            with stage("decide"):
                decided = decide(masked, evidence)

        stats = None
        decisions: dict[str, Decision] = dict(decided.decisions) if decided else {}
        if self.mode == "evidence":
            classification = Classification(**decided.values, summary=extractive_summary(masked))
            decisions["summary"] = Decision(value=classification.summary, source="extractive")
        else:
            allowed = {k: [v] for k, v in decided.values.items()} if decided else None
            with stage("classify"):
                classification, stats = self.classifier.classify(masked, cleaned.language, allowed)
            llm_fields = ("summary",) if decided else ("summary", "subcategory", *LABEL_FIELDS)
            for name in llm_fields:
                source = "extractive (llm summary not grounded)" if name == "summary" and "summary" in stats.fallbacks else "llm"
                decisions[name] = Decision(value=getattr(classification, name), source=source)
        from triage.business_signals import churn_risk, upsell_opportunity
        from triage.escalation import escalation_signals, risk_level
        from triage.routing import route

        with stage("signals+routing"):
            signals = decided.escalation_signals if decided else escalation_signals(masked)
            level = risk_level(signals, classification.escalation_risk, classification.sentiment)
            mrr = prepared.ticket.mrr
            churn, upsell = churn_risk(masked, mrr), upsell_opportunity(masked, mrr)
            routing = route(self.routing_config, classification.primary_category, classification.urgency,
                            classification.sentiment, level, classification.needs_human_review,
                            prepared.ticket.created_at)
        return TriageResult(
            risk_level=level, churn=churn, upsell=upsell, routing=routing,
            ticket_id=prepared.ticket.id,
            classification=classification,
            language=cleaned.language,
            masked_text=masked,
            truncated=prepared.truncated,
            pii=prepared.pii,
            model=self.model_name,
            mode=self.mode,
            decisions=decisions,
            escalation_signals=signals,
            p1_signals=decided.p1_signals if decided else [],
            similar_tickets=similar,
            timings=timings,
            prompt_tokens=stats.prompt_tokens if stats else 0,
            prompt_tokens_evaluated=stats.prompt_tokens_evaluated if stats else 0,
            generated_tokens=stats.generated_tokens if stats else 0,
            llm_calls=stats.llm_calls if stats else 0,
        )


def _stage_timer(timings: list[StageTiming]):
    """`with stage("name"):` appends the block's wall time to timings."""

    @contextmanager
    def stage(name: str):
        start = time.perf_counter()
        yield
        timings.append(StageTiming(name=name, seconds=time.perf_counter() - start))

    return stage


@dataclass
class _Prepared:
    ticket: Ticket
    cleaned: object
    masked: str
    pii: object
    truncated: bool
    timings: list
