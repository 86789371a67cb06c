"""Labelers: what decides a ticket's labels, one small object per mode, built from one registry
that feeds the CLI, the UI, batch triage and the evaluation.

- ``evidence``: the KB evidence heads and rules decide; extractive summary; no LLM call.
- ``hybrid``: the evidence labels, then the Outlines-constrained LLM writes the summary (each
  decided label is passed to it as the single allowed value).
- ``llm``: the LLM alone chooses every field (the baseline the evaluation compares against).
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from triage.classify import ClassifyStats, extractive_summary
from triage.decide import Decided, decide
from triage.prepare import Prepared, map_keeping_errors, stage_timer
from triage.schema import Classification, Decision, StageTiming

LLM_LABEL_FIELDS = ("subcategory", "primary_category", "secondary_category", "urgency", "sentiment",
                    "escalation_risk", "confidence", "needs_human_review")


@dataclass
class Labels:
    classification: Classification
    decisions: dict[str, Decision]
    evidence: object | None = None  # triage.evidence.Evidence: hits and the ticket's vector
    decided: Decided | None = None
    stats: ClassifyStats | None = None
    signals: list = field(default_factory=list)  # escalation phrase signals that fired


class Labeler(ABC):
    name: str
    needs_kb: bool = False
    needs_llm: bool = False

    @abstractmethod
    def label(self, prepared: Prepared) -> Labels:
        """Labels for one prepared ticket (stage timings are appended to prepared.timings)."""

    def label_many(self, prepared: list[Prepared]) -> list[Labels | Exception]:
        """Labels for many tickets; an item is the exception its ticket raised."""
        return map_keeping_errors(self.label, prepared)


LABELERS: dict[str, type[Labeler]] = {}


def register_labeler(cls: type[Labeler]) -> type[Labeler]:
    LABELERS[cls.name] = cls
    return cls


class EvidenceLabeler(Labeler):
    """Evidence heads + rules decide; with a tuned model loaded (hybrid mode) its vote joins them."""

    name = "evidence"
    needs_kb = True

    def __init__(self, evidence_layer, tuning=None, voter=None):
        self.evidence_layer, self.tuning, self.voter = evidence_layer, tuning, voter

    def label(self, prepared: Prepared) -> Labels:
        start = time.perf_counter()
        evidence = self.evidence_layer.assess(prepared.masked)
        prepared.timings.append(StageTiming(name="evidence", seconds=time.perf_counter() - start))
        return self._decide(prepared, evidence)

    def label_many(self, prepared: list[Prepared]) -> list[Labels | Exception]:
        """One embedding call, one LanceDB query, one TF-IDF transform for the whole batch."""
        if not prepared:
            return []
        start = time.perf_counter()
        evidences = self.evidence_layer.assess_many([p.masked for p in prepared])
        per_ticket = (time.perf_counter() - start) / len(prepared)
        for p in prepared:
            p.timings.append(StageTiming(name="evidence", seconds=per_ticket))
        return map_keeping_errors(lambda pair: self._decide(*pair), list(zip(prepared, evidences)))

    def _decide(self, prepared: Prepared, evidence) -> Labels:
        vote = None
        if self.voter is not None:
            with stage_timer(prepared.timings)("model vote"):
                vote = self.voter.vote(prepared.masked)
        with stage_timer(prepared.timings)("decide"):
            decided = decide(prepared.masked, evidence, vote, self.tuning)
        decisions = dict(decided.decisions)
        classification = Classification(**decided.values, summary=extractive_summary(prepared.masked))
        decisions["summary"] = Decision(value=classification.summary, source="extractive")
        return Labels(classification, decisions, evidence, decided, None, decided.escalation_signals)


class LLMLabeler(Labeler):
    name = "llm"
    needs_llm = True

    def __init__(self, classifier):
        self.classifier = classifier  # LLMClassifier (JSON record), or TunedClassifier for a tuned model

    def label(self, prepared: Prepared) -> Labels:
        from triage.escalation import escalation_signals

        with stage_timer(prepared.timings)("classify"):
            classification, stats = self.classifier.classify(prepared.masked, prepared.language)
        decisions = {"summary": _summary_decision(classification, stats)}
        decisions.update({name: Decision(value=getattr(classification, name), source="llm")
                          for name in LLM_LABEL_FIELDS})
        return Labels(classification, decisions, None, None, stats, escalation_signals(prepared.masked))


class HybridLabeler(Labeler):
    name = "hybrid"
    needs_kb = True
    needs_llm = True

    def __init__(self, evidence_labeler: EvidenceLabeler, classifier):
        self.evidence_labeler = evidence_labeler
        self.classifier = classifier

    def label(self, prepared: Prepared) -> Labels:
        return self._write(prepared, self.evidence_labeler.label(prepared))

    def label_many(self, prepared: list[Prepared]) -> list[Labels | Exception]:
        pairs = list(zip(prepared, self.evidence_labeler.label_many(prepared)))
        return map_keeping_errors(lambda pair: pair[1] if isinstance(pair[1], Exception) else self._write(*pair), pairs)

    def _write(self, prepared: Prepared, labels: Labels) -> Labels:
        """The LLM writes what the evidence did not decide (the summary)."""
        allowed = {k: [v] for k, v in labels.decided.values.items()}
        with stage_timer(prepared.timings)("classify"):
            classification, stats = self.classifier.classify(prepared.masked, prepared.language, allowed)
        decisions = dict(labels.decided.decisions)
        decisions["summary"] = _summary_decision(classification, stats)
        return Labels(classification, decisions, labels.evidence, labels.decided, stats, labels.signals)


def _summary_decision(classification: Classification, stats: ClassifyStats) -> Decision:
    grounded = "summary" not in stats.fallbacks
    return Decision(value=classification.summary, source="llm" if grounded else "extractive (llm summary not grounded)")


for _cls in (LLMLabeler, EvidenceLabeler, HybridLabeler):
    register_labeler(_cls)
MODES = tuple(LABELERS)  # ("llm", "evidence", "hybrid"): the choices every entry point offers
