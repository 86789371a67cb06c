import typing

from tests.fakes import FakeLLM
from triage.classify import FIELD_ORDER, LLMClassifier
from triage.schema import Classification


def test_record_validates_and_every_field_is_constrained():
    llm = FakeLLM(answers={"summary": '"My invoice is wrong."'})
    result, stats = LLMClassifier(llm).classify("My invoice is wrong", "en")
    assert isinstance(result, Classification)
    assert stats.llm_calls == len(FIELD_ORDER)
    # each prompt ends with the JSON built so far and the next key
    assert llm.prompts[0].endswith('{"summary":')
    assert llm.prompts[1].endswith('"primary_category":')
    assert '"summary":"My invoice is wrong."' in llm.prompts[1]


def test_single_allowed_value_is_written_without_a_model_call():
    llm = FakeLLM()
    result, stats = LLMClassifier(llm).classify("x y z", "en", allowed={"urgency": ["P1"], "primary_category": ["account", "billing"]})
    assert result.urgency == "P1"
    assert stats.llm_calls == len(FIELD_ORDER) - 1
    category_prompt = next(p for p in llm.prompts if p.endswith('"primary_category":'))
    assert category_prompt  # still asked, but only between the allowed values:
    assert result.primary_category == "billing"  # first allowed in schema order


def test_choices_offered_are_the_narrowed_set():
    llm = FakeLLM()
    classifier = LLMClassifier(llm)
    output_type = classifier._output_type("primary_category", ["technical", "general"])
    assert set(typing.get_args(output_type)) == {'"technical"', '"general"'}


def test_truncated_summary_is_closed_and_bad_values_fall_back():
    llm = FakeLLM(answers={"summary": '"Customer was charged tw', "sentiment": "garbage"})
    result, stats = LLMClassifier(llm).classify("Customer was charged twice", "en")
    assert result.summary == "Customer was charged tw"
    assert result.sentiment == "angry" and "sentiment" in stats.fallbacks


def test_empty_summary_falls_back_to_ticket_text_within_limit():
    llm = FakeLLM(answers={"summary": '""'})
    long_text = "word " * 100
    result, stats = LLMClassifier(llm).classify(long_text, "en")
    assert len(result.summary) <= 160 and result.summary.startswith("word word")
    assert "summary" in stats.fallbacks


def test_secondary_equal_to_primary_is_dropped():
    llm = FakeLLM(answers={"primary_category": '"technical"', "secondary_category": '"technical"'})
    result, _ = LLMClassifier(llm).classify("API down", "en")
    assert result.primary_category == "technical" and result.secondary_category is None


def test_invented_summary_is_replaced_by_the_first_sentence():
    llm = FakeLLM(answers={"summary": '"The customer has a problem with their payment."'})
    result, stats = LLMClassifier(llm).classify("Could you add dark mode? It hurts my eyes at night.", "en")
    assert result.summary == "Could you add dark mode?"
    assert "summary" in stats.fallbacks


def test_grounded_summary_is_kept():
    llm = FakeLLM(answers={"summary": '"Dark mode requested for the dashboard."'})
    result, stats = LLMClassifier(llm).classify("Could you add a dark mode to the dashboard?", "en")
    assert result.summary == "Dark mode requested for the dashboard."
    assert "summary" not in stats.fallbacks


def test_text_field_with_one_allowed_value_is_not_generated():
    llm = FakeLLM()
    result, stats = LLMClassifier(llm).classify("x y z", "en", allowed={"subcategory": ["login"]})
    assert result.subcategory == "login"
    assert not any(p.endswith('"subcategory":') for p in llm.prompts)
