"""Turn evidence, the tuned model's vote and the rules into decided labels, each with the layer
that decided it and its probability; derive confidence and needs_human_review from margins and
agreement.

How the votes combine and which rules stay are data (`triage/tuning.json`, written by
`python -m scripts.tune_decide` from the dev splits), not constants here."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from triage.config import Tuning, default_tuning
from triage.escalation import escalation_signals
from triage.evidence import Evidence
from triage.preprocess import is_vague
from triage.rules import is_feature_request_phrasing, p1_signals
from triage.schema import Decision


@dataclass
class Decided:
    values: dict
    decisions: dict
    escalation_signals: list = field(default_factory=list)
    p1_signals: list = field(default_factory=list)
    vague: bool = False


def combine(evidence_probs: dict, vote_probs: dict | None, weight: float) -> dict:
    """Log-linear pooling: p(label) ∝ p_evidence(label) · p_model(label)^weight."""
    if not vote_probs or weight <= 0:
        return evidence_probs
    scores = {k: math.log(max(p, 1e-9)) + weight * math.log(max(vote_probs.get(k, 0.0), 1e-9))
              for k, p in evidence_probs.items()}
    top = max(scores.values())
    exp = {k: math.exp(v - top) for k, v in scores.items()}
    total = sum(exp.values())
    return {k: v / total for k, v in exp.items()}


def _top(probs: dict) -> tuple:
    ranked = sorted(probs.items(), key=lambda kv: kv[1], reverse=True)
    return ranked[0], (ranked[1] if len(ranked) > 1 else (None, 0.0))


def _rounded(probs: dict) -> dict:
    return {k: round(v, 3) for k, v in probs.items()}


def decide(text: str, evidence: Evidence, vote=None, tuning: Tuning | None = None) -> Decided:
    tuning = tuning or default_tuning()
    probs, source = {}, {}
    for name, fe in evidence.fields.items():
        weight = tuning.vote_weights.get(name, 0.0)
        model_probs = vote.probs.get(name) if vote is not None else None
        probs[name] = combine(fe.probs, model_probs, weight)
        source[name] = "evidence+model" if model_probs and weight > 0 else "evidence"
    values, decisions = {}, {}
    _category(probs["category"], source["category"], tuning, values, decisions)
    fired_p1 = [r for r in p1_signals(text) if r in tuning.p1_rules]
    _urgency(text, probs["urgency"], source["urgency"], fired_p1, tuning, values, decisions)
    (sent, p_sent), _ = _top(probs["sentiment"])
    values["sentiment"] = sent
    decisions["sentiment"] = Decision(value=sent, source=source["sentiment"], probability=p_sent,
                                      detail=_rounded(probs["sentiment"]))
    signals = escalation_signals(text)
    _escalation(signals, probs["escalation"], source["escalation"], tuning, values, decisions)
    _subcategory(evidence, values, decisions)
    vague = is_vague(text, tuning.vague_max_words)
    _review(probs["category"], evidence, vague, tuning, values, decisions)
    return Decided(values, decisions, signals, fired_p1, vague)


def _category(probs: dict, source: str, tuning: Tuning, values: dict, decisions: dict) -> None:
    (cat, p_cat), (cat2, p_cat2) = _top(probs)
    values["primary_category"] = cat
    decisions["primary_category"] = Decision(value=cat, source=source, probability=p_cat, detail=_rounded(probs))
    values["secondary_category"] = cat2 if p_cat2 >= tuning.secondary_min_prob else None
    decisions["secondary_category"] = Decision(value=values["secondary_category"], source=source,
                                               probability=p_cat2 if values["secondary_category"] else 1 - p_cat2)


def _urgency(text: str, probs: dict, source: str, fired_p1: list, tuning: Tuning, values: dict,
             decisions: dict) -> None:
    (urg, p_urg), _ = _top(probs)
    cat = values["primary_category"]
    p_cat = decisions["primary_category"].probability
    if fired_p1:
        values["urgency"] = "P1"
        decisions["urgency"] = Decision(value="P1", source="rule:" + "+".join(fired_p1), probability=1.0)
    elif (tuning.feature_request_rule and cat == "feature_request" and urg in ("P3", "P4")
          and (p_cat >= 0.5 or is_feature_request_phrasing(text))):
        values["urgency"] = "P4"
        decisions["urgency"] = Decision(value="P4", source="rule:pure_feature_request", probability=1.0)
    else:
        values["urgency"] = urg
        decisions["urgency"] = Decision(value=urg, source=source, probability=p_urg, detail=_rounded(probs))


def _escalation(signals: list, probs: dict, source: str, tuning: Tuning, values: dict, decisions: dict) -> None:
    deciding = [s for s in signals if tuning.escalation_rules is None or s in tuning.escalation_rules]
    p_esc = probs.get(True, 0.0)
    if deciding:
        values["escalation_risk"] = True
        decisions["escalation_risk"] = Decision(value=True, source="rule:" + "+".join(deciding), probability=1.0)
    else:
        values["escalation_risk"] = p_esc >= tuning.escalation_threshold
        decisions["escalation_risk"] = Decision(value=values["escalation_risk"], source=source,
                                                probability=p_esc if values["escalation_risk"] else 1 - p_esc)


def _subcategory(evidence: Evidence, values: dict, decisions: dict) -> None:
    heads = evidence.heads
    sub, sim = heads.subcategory(values["primary_category"], evidence.vector) if heads is not None else ("other", 0.0)
    values["subcategory"] = sub
    decisions["subcategory"] = Decision(value=sub, source="evidence:zero_shot", probability=max(0.0, min(1.0, sim)))


def _review(probs: dict, evidence: Evidence, vague: bool, tuning: Tuning, values: dict, decisions: dict) -> None:
    (cat, p_cat), (_, p_cat2) = _top(probs)
    margin = p_cat - p_cat2
    knn = evidence.fields["category"].heads.get("knn") or {}
    knn_agrees = bool(knn) and max(knn, key=knn.get) == cat
    high, low = tuning.confidence_high, tuning.confidence_low
    if p_cat >= high[0] and margin >= high[1] and knn_agrees:
        confidence = "high"
    elif p_cat < low[0] or margin < low[1]:
        confidence = "low"
    else:
        confidence = "medium"
    values["confidence"] = confidence
    decisions["confidence"] = Decision(value=confidence, source="evidence:margin+agreement", probability=p_cat,
                                       detail={"margin": round(margin, 3), "knn_agrees": knn_agrees})
    review = confidence == "low" or vague
    values["needs_human_review"] = review
    reasons = [r for r, on in (("low confidence", confidence == "low"), ("too short to judge", vague)) if on]
    decisions["needs_human_review"] = Decision(value=review, source="evidence:" + (",".join(reasons) or "confident"),
                                               probability=1.0)
