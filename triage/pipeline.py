"""Triager: composes the stages — prepare, label, signals + routing, draft — times each, and
returns a TriageResult. It builds none of its collaborators: triage.wiring does.
UI and scripts call this; stages never import the UI."""
from __future__ import annotations

import time

from triage.business_signals import churn_risk, upsell_opportunity
from triage.config import Settings
from triage.escalation import risk_level
from triage.labelers import Labeler, Labels
from triage.prepare import Prepared, Preparer, map_keeping_errors, stage_timer
from triage.preprocess import detect_language
from triage.routing import route
from triage.schema import SimilarTicket, StageTiming, Ticket, TriageResult


class Triager:
    def __init__(self, settings: Settings, labeler: Labeler, preparer: Preparer, routing_config,
                 llm=None, kb=None, evidence=None, classifier=None, drafter=None):
        self.settings = settings
        self.labeler = labeler
        self.mode = labeler.name
        self.prepare = preparer
        self.routing_config = routing_config
        self.llm, self.kb, self.evidence, self.classifier, self.drafter = llm, kb, evidence, classifier, drafter
        detect_language("warm up the language profiles once at start-up")

    @property
    def model_name(self) -> str:
        return self.llm.name if self.llm is not None else "none (evidence mode)"

    def refresh(self) -> None:
        """Retrain the evidence heads if the KB changed (after a correction was stored)."""
        if self.evidence is not None:
            self.evidence.refresh()

    def run(self, ticket: Ticket | str, with_draft: bool = False) -> TriageResult:
        result = None
        for result in self.stream(ticket, with_draft=with_draft):
            pass
        return result

    def stream(self, ticket: Ticket | str, with_draft: bool = True):
        """Yields the TriageResult without a draft, then (if drafting) the draft text as it grows
        (str), then the final TriageResult with the grounded draft."""
        prepared = self.prepare(ticket)
        labels = self.labeler.label(prepared)
        result = self._assemble(prepared, labels)
        yield result
        if not (with_draft and self.drafter is not None):
            return
        yield from self._draft(result, labels)

    def _draft(self, result: TriageResult, labels: Labels):
        from triage.draft import Draft

        c, evidence = result.classification, labels.evidence
        start = time.perf_counter()
        final = None
        vague = labels.decided is not None and labels.decided.vague  # decide's flag; the drafter checks again without it
        for item in self.drafter.stream(result.masked_text, result.language, c.sentiment, c.urgency,
                                        c.primary_category, evidence.vector if evidence else None, vague=vague):
            if isinstance(item, Draft):
                final = item
            else:
                yield item
        result.draft = final
        result.timings.append(StageTiming(name="draft", seconds=time.perf_counter() - start))
        yield result

    def run_many(self, tickets: list[Ticket | str]) -> list[TriageResult | Exception]:
        """Batch triage (the labeler batches what it can, e.g. embeddings). Each item is a
        TriageResult, or the exception that ticket raised (e.g. EmptyTicketError)."""
        prepared = map_keeping_errors(self.prepare, tickets)
        ok = [p for p in prepared if not isinstance(p, Exception)]
        labelled = dict(zip(map(id, ok), self.labeler.label_many(ok)))
        results: list = []
        for p in prepared:
            outcome = p if isinstance(p, Exception) else labelled[id(p)]
            if not isinstance(outcome, Exception):
                try:
                    outcome = self._assemble(p, outcome)
                except Exception as exc:
                    outcome = exc
            results.append(outcome)
        return results

    def _assemble(self, prepared: Prepared, labels: Labels) -> TriageResult:
        """Signals, routing and the result record around the decided labels."""
        c, stats, ticket = labels.classification, labels.stats, prepared.ticket
        with stage_timer(prepared.timings)("signals+routing"):
            level = risk_level(labels.signals, c.escalation_risk, c.sentiment)
            churn, upsell = churn_risk(prepared.masked, ticket.mrr), upsell_opportunity(prepared.masked, ticket.mrr)
            routing = route(self.routing_config, c.primary_category, c.urgency, c.sentiment, level,
                            c.needs_human_review, ticket.created_at, ticket.customer_tier)
        return TriageResult(
            risk_level=level, churn=churn, upsell=upsell, routing=routing, ticket_id=ticket.id,
            classification=c, language=prepared.language, masked_text=prepared.masked,
            truncated=prepared.truncated, pii=prepared.pii, model=self.model_name, mode=self.mode,
            decisions=labels.decisions, escalation_signals=labels.signals,
            p1_signals=labels.decided.p1_signals if labels.decided else [],
            similar_tickets=self._similar(labels), timings=prepared.timings,
            prompt_tokens=stats.prompt_tokens if stats else 0,
            prompt_tokens_evaluated=stats.prompt_tokens_evaluated if stats else 0,
            generated_tokens=stats.generated_tokens if stats else 0,
            llm_calls=stats.llm_calls if stats else 0,
        )

    def _similar(self, labels: Labels) -> list[SimilarTicket]:
        if labels.evidence is None:
            return []
        return [SimilarTicket(id=h.id, similarity=round(h.similarity, 4), category=h.category, urgency=h.urgency,
                              source=h.source, text=h.text[:500], resolution=(h.resolution or "")[:1000])
                for h in labels.evidence.hits[: self.settings.retrieval_k]]
