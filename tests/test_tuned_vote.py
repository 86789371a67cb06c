"""The tuned model's answer format, its vote, and how the vote combines with the evidence."""
import math

import pytest

from tests.fakes import FakeLLM
from triage.config import Tuning, load_tuning
from triage.decide import combine
from triage.tuned import TunedClassifier, TunedVoter, answer_text


def test_answer_text_is_one_line_per_field_and_stops_at_the_first_missing_one():
    labels = {"category": "billing", "urgency": "P2", "sentiment": "neutral", "escalation": True}
    assert answer_text(labels, "Charged twice in March.") == (
        "category: billing\nurgency: P2\nsentiment: neutral\nescalation: yes\nsummary: Charged twice in March.")
    assert answer_text({"category": "general"}, "ignored") == "category: general"


def test_combination_rule_is_log_linear_pooling():
    evidence = {"billing": 0.55, "general": 0.45}
    assert combine(evidence, {"billing": 0.1, "general": 0.9}, 0.0) == evidence  # weight 0: evidence alone
    pooled = combine(evidence, {"billing": 0.1, "general": 0.9}, 1.0)
    assert pooled["general"] > pooled["billing"]  # a confident vote flips a close call
    expected = 0.45 * 0.9 / (0.45 * 0.9 + 0.55 * 0.1)
    assert math.isclose(pooled["general"], expected, rel_tol=1e-9)
    assert math.isclose(sum(pooled.values()), 1.0)


def test_vote_prefers_what_the_model_scores_highest_and_temperature_softens_it():
    llm = FakeLLM(answers={"category": "general", "urgency": "P3", "sentiment": "neutral", "escalation": "no"})
    sharp = TunedVoter(llm).vote("Where is my parcel? Ordered two weeks ago.")
    soft = TunedVoter(llm, {"category": 4.0}).vote("Where is my parcel? Ordered two weeks ago.")
    assert max(sharp.probs["category"], key=sharp.probs["category"].get) == "general"
    assert sharp.probs["escalation"][False] > 0.9
    assert soft.probs["category"]["general"] < sharp.probs["category"]["general"]
    assert sharp.answer.splitlines()[:2] == ["category: general", "urgency: P3"]


def test_tuned_classifier_chooses_each_value_and_skips_fixed_ones():
    llm = FakeLLM(answers={"primary_category": " billing", "urgency": " P2", "sentiment": " frustrated",
                           "escalation_risk": " yes", "summary": " Charged twice for the March invoice"})
    record, stats = TunedClassifier(llm).classify("I was charged twice for the March invoice, refund it or I cancel.")
    assert (record.primary_category, record.urgency, record.sentiment, record.escalation_risk) == (
        "billing", "P2", "frustrated", True)
    assert record.summary.startswith("Charged twice") and stats.llm_calls == 5
    fixed, stats = TunedClassifier(llm).classify("I was charged twice for the March invoice.", allowed={
        "primary_category": ["general"], "urgency": ["P3"], "sentiment": ["neutral"], "escalation_risk": [False]})
    assert fixed.primary_category == "general" and stats.llm_calls == 1  # only the summary was generated


def test_tuning_file_is_validated(tmp_path):
    assert load_tuning(tmp_path / "missing.json") == Tuning()
    good = tmp_path / "good.json"
    good.write_text('{"evidence_only": {"escalation_threshold": 0.6}, "with_model": {"escalation_threshold": 0.8}}')
    assert load_tuning(good).escalation_threshold == 0.6
    assert load_tuning(good, with_model=True).escalation_threshold == 0.8
    bad = tmp_path / "tuning.json"
    bad.write_text('{"evidence_only": {"vote_weights": {"category": 1.0}, "escalation_threshold": 3}}')
    with pytest.raises(ValueError, match="Invalid tuning file"):
        load_tuning(bad)
    bad.write_text('{"evidence_only": {"no_such_number": 1}}')
    with pytest.raises(ValueError, match="Invalid tuning file"):
        load_tuning(bad)
