"""The fine-tuned model's task format and its vote.

`make train` teaches the packaged base model to answer a short prompt with one line per field:

    category: billing
    urgency: P2
    sentiment: neutral
    escalation: no
    summary: Charged twice for the March invoice.

Training (scripts/train.py) and inference use the same prompt and answer text from here. At
inference each label is scored, not sampled: the log-probability of every allowed value after
`<field>:` (models.base.StructuredLLM.score_continuations), fields in the order above, each
conditioned on the model's own best answer for the fields before it. The softmax of those
scores, with a per-field temperature fitted on the dev splits, is the model's probability per
label; triage.decide combines it with the evidence heads. The summary is then written under an
Outlines regex constraint after the chosen labels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from triage.schema import CATEGORIES, SENTIMENTS, URGENCIES

TUNED_SYSTEM = "Triage the customer support ticket: category, urgency, sentiment, escalation, summary."
# field name in the answer -> (allowed values in the answer, the evidence field they vote on)
ANSWER_FIELDS = {
    "category": (CATEGORIES, "category"),
    "urgency": (URGENCIES, "urgency"),
    "sentiment": (SENTIMENTS, "sentiment"),
    "escalation": (("no", "yes"), "escalation"),
}
SUMMARY_KEY = "summary"


def answer_value(name: str, value) -> str:
    if name == "escalation":
        return "yes" if value else "no"
    return str(value)


def evidence_label(name: str, value: str):
    """Answer text -> the label the evidence heads use (escalation is a bool there)."""
    return value == "yes" if name == "escalation" else value


def answer_text(labels: dict, summary: str | None = None) -> str:
    """The training target for a ticket's labels (missing fields end the answer early)."""
    lines = []
    for name in ANSWER_FIELDS:
        if labels.get(name) is None:
            break
        lines.append(f"{name}: {answer_value(name, labels[name])}")
    if summary and len(lines) == len(ANSWER_FIELDS):
        lines.append(f"{SUMMARY_KEY}: {' '.join(summary.split())}")
    return "\n".join(lines)


def truncate_ticket(llm, text: str, max_tokens: int) -> str:
    """The ticket cut to the tokens the tuned model was trained on (one rule for vote and record)."""
    ids = llm.tokenize(text)
    return llm.detokenize(ids[:max_tokens]) if len(ids) > max_tokens else text


def tuned_prompt(llm, ticket_text: str) -> str:
    return llm.render_chat(TUNED_SYSTEM, ticket_text)


@dataclass
class TunedVote:
    probs: dict  # evidence field -> {label: p}
    answer: str  # the answer lines the model chose (prompt continuation for the summary)
    prompt: str


@dataclass
class TunedVoter:
    """Scores each field's labels with the tuned model (prefix KV reuse: the ticket is evaluated
    once, each field adds a few tokens)."""

    llm: object
    temperatures: dict = field(default_factory=dict)  # evidence field -> softmax temperature
    ticket_tokens: int = 256  # as in training

    def vote(self, ticket_text: str) -> TunedVote:
        prompt = tuned_prompt(self.llm, truncate_ticket(self.llm, ticket_text, self.ticket_tokens))
        answer, probs = "", {}
        for name, (values, evidence_field) in ANSWER_FIELDS.items():
            scores = self.llm.score_continuations(prompt + answer + f"{name}:", [f" {v}" for v in values])
            t = self.temperatures.get(evidence_field, 1.0)
            top = max(scores)
            weights = [math.exp((s - top) / t) for s in scores]
            total = sum(weights)
            probs[evidence_field] = {evidence_label(name, v): w / total for v, w in zip(values, weights)}
            answer += f"{name}: {values[scores.index(top)]}\n"
        return TunedVote(probs, answer, prompt)


SUMMARY_PATTERN = r" [^\n]{3,}"  # one line; max_tokens bounds its length (a {3,150} repeat would bloat the index)
SUMMARY_MAX_TOKENS = 40


class TunedClassifier:
    """The tuned model writes the record in its own answer format, every value chosen under
    Outlines: a label is a Literal of the allowed values, the summary a one-line Regex. A field
    with one allowed value (decided by the evidence) is written without a model call."""

    def __init__(self, llm, ticket_tokens: int = 256):
        from outlines.types import Regex

        self.llm, self.ticket_tokens = llm, ticket_tokens
        self.summary_type = Regex(SUMMARY_PATTERN)
        self.llm.prepare(self.summary_type)
        for name, (values, _) in ANSWER_FIELDS.items():
            self.llm.prepare(self._choice(values))

    @staticmethod
    def _choice(values):
        from typing import Literal

        return Literal[tuple(f" {v}" for v in values)]  # type: ignore[valid-type]

    def classify(self, text: str, language: str = "unknown", allowed: dict | None = None):
        from triage.classify import ClassifyStats, extractive_summary, summary_is_grounded
        from triage.schema import Classification

        allowed, stats = allowed or {}, ClassifyStats()
        prompt = tuned_prompt(self.llm, truncate_ticket(self.llm, text, self.ticket_tokens))
        answer, chosen = "", {}
        for name, (values, evidence_field) in ANSWER_FIELDS.items():
            record_field = _RECORD_FIELD[evidence_field]
            fixed = allowed.get(record_field)
            if fixed is not None and len(fixed) == 1:
                chosen[record_field] = fixed[0]
            else:
                gen = self._generate(prompt + answer + f"{name}:", self._choice(values), 8, record_field, stats)
                chosen[record_field] = evidence_label(name, gen.text.strip())
            answer += f"{name}: {answer_value(name, chosen[record_field])}\n"
        gen = self._generate(prompt + answer + f"{SUMMARY_KEY}:", self.summary_type, SUMMARY_MAX_TOKENS, "summary", stats)
        summary = " ".join(gen.text.split())
        if len(summary) < 3 or not summary_is_grounded(summary, text):
            stats.fallbacks.append("summary")
            summary = extractive_summary(text)
        record = {"summary": extractive_summary(summary), "secondary_category": None, "subcategory": "other",
                  "confidence": "medium", "needs_human_review": False, **chosen}
        for key in ("secondary_category", "subcategory", "confidence", "needs_human_review"):
            if allowed.get(key):
                record[key] = allowed[key][0]
        return Classification.model_validate(record), stats

    def _generate(self, prompt: str, output_type, max_tokens: int, field: str, stats):
        gen = self.llm.generate_structured(prompt, output_type, max_tokens, field=field)
        stats.add(gen)
        return gen


_RECORD_FIELD = {"category": "primary_category", "urgency": "urgency", "sentiment": "sentiment",
                 "escalation": "escalation_risk"}


def load_card(model_path) -> dict | None:
    """The training card `make train` writes beside its GGUF (temperatures, dev scores), or None
    for a model that was not tuned here."""
    import json
    from pathlib import Path

    card = Path(model_path).with_suffix(".json")
    if not card.is_file():
        return None
    try:
        return json.loads(card.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
