"""Turn evidence and rules into decided labels, each with the layer that decided it and its
probability; derive confidence and needs_human_review from margins and agreement.

Thresholds here were chosen on the curated dev split (scripts/tune_evidence.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from triage.escalation import escalation_signals
from triage.evidence import Evidence
from triage.rules import is_feature_request_phrasing, p1_signals
from triage.schema import Decision

SECONDARY_MIN_PROB = 0.30
# The lowest threshold keeping precision >= 0.70 both on 5-fold CV of the KB split and on the
# public escalation dev half (python -m scripts.tune_escalation --kb-cv): recall first.
ESCALATION_HEAD_THRESHOLD = 0.7
CONFIDENCE_HIGH = (0.60, 0.30)  # (top probability, margin to the runner-up)
CONFIDENCE_LOW = (0.40, 0.10)
VAGUE_MAX_WORDS = 3


@dataclass
class Decided:
    values: dict
    decisions: dict
    escalation_signals: list = field(default_factory=list)
    p1_signals: list = field(default_factory=list)
    vague: bool = False


def _top(probs: dict) -> tuple:
    ranked = sorted(probs.items(), key=lambda kv: kv[1], reverse=True)
    first = ranked[0]
    second = ranked[1] if len(ranked) > 1 else (None, 0.0)
    return first, second


def _subcategory(evidence: Evidence, category: str) -> tuple[str, float]:
    heads = evidence.heads
    return heads.subcategory(category, evidence.vector) if heads is not None else ("other", 0.0)


def decide(text: str, evidence: Evidence) -> Decided:
    f = evidence.fields
    decisions: dict[str, Decision] = {}
    values: dict = {}

    (cat, p_cat), (cat2, p_cat2) = _top(f["category"].probs)
    values["primary_category"] = cat
    decisions["primary_category"] = Decision(value=cat, source="evidence", probability=p_cat,
                                             detail={k: round(v, 3) for k, v in f["category"].probs.items()})
    values["secondary_category"] = cat2 if p_cat2 >= SECONDARY_MIN_PROB else None
    decisions["secondary_category"] = Decision(value=values["secondary_category"], source="evidence",
                                               probability=p_cat2 if values["secondary_category"] else 1 - p_cat2)

    fired_p1 = p1_signals(text)
    (urg, p_urg), _ = _top(f["urgency"].probs)
    if fired_p1:
        values["urgency"] = "P1"
        decisions["urgency"] = Decision(value="P1", source="rule:" + "+".join(fired_p1), probability=1.0)
    elif cat == "feature_request" and urg in ("P3", "P4") and (p_cat >= 0.5 or is_feature_request_phrasing(text)):
        values["urgency"] = "P4"
        decisions["urgency"] = Decision(value="P4", source="rule:pure_feature_request", probability=1.0)
    else:
        values["urgency"] = urg
        decisions["urgency"] = Decision(value=urg, source="evidence", probability=p_urg,
                                        detail={k: round(v, 3) for k, v in f["urgency"].probs.items()})

    (sent, p_sent), _ = _top(f["sentiment"].probs)
    values["sentiment"] = sent
    decisions["sentiment"] = Decision(value=sent, source="evidence", probability=p_sent,
                                      detail={k: round(v, 3) for k, v in f["sentiment"].probs.items()})

    signals = escalation_signals(text)
    p_esc = f["escalation"].probs.get(True, 0.0)
    if signals:
        values["escalation_risk"] = True
        decisions["escalation_risk"] = Decision(value=True, source="rule:" + "+".join(signals), probability=1.0)
    else:
        values["escalation_risk"] = p_esc >= ESCALATION_HEAD_THRESHOLD
        decisions["escalation_risk"] = Decision(value=values["escalation_risk"], source="evidence",
                                                probability=p_esc if values["escalation_risk"] else 1 - p_esc)

    sub, sub_sim = _subcategory(evidence, cat)
    values["subcategory"] = sub
    decisions["subcategory"] = Decision(value=sub, source="evidence:zero_shot", probability=max(0.0, min(1.0, sub_sim)))

    margin = p_cat - p_cat2
    knn = f["category"].heads.get("knn") or {}
    knn_agrees = bool(knn) and max(knn, key=knn.get) == cat
    if p_cat >= CONFIDENCE_HIGH[0] and margin >= CONFIDENCE_HIGH[1] and knn_agrees:
        confidence = "high"
    elif p_cat < CONFIDENCE_LOW[0] or margin < CONFIDENCE_LOW[1]:
        confidence = "low"
    else:
        confidence = "medium"
    values["confidence"] = confidence
    decisions["confidence"] = Decision(value=confidence, source="evidence:margin+agreement", probability=p_cat,
                                       detail={"margin": round(margin, 3), "knn_agrees": knn_agrees})

    words = re.findall(r"\w+", text)
    vague = len(words) <= VAGUE_MAX_WORDS
    review = confidence == "low" or vague
    values["needs_human_review"] = review
    reasons = [r for r, on in (("low confidence", confidence == "low"), ("too short to judge", vague)) if on]
    decisions["needs_human_review"] = Decision(value=review, source="evidence:" + (",".join(reasons) or "confident"),
                                               probability=1.0)
    return Decided(values, decisions, signals, fired_p1, vague)
