"""Classification under Outlines, one field at a time.

Why field by field: generating the whole JSON record in one constrained call made the
model spell the fixed keys and punctuation through ~3x more (non-canonical) tokens than
the text needs (188 decode steps for 63 tokens of JSON, measured with SmolLM2). Here the
fixed JSON skeleton is part of the prompt, evaluated in one batch, and Outlines constrains
only each value to the schema's allowed set. Successive calls share the prompt prefix, so
llama.cpp's KV cache (models/llamacpp.py) evaluates only the newly appended tokens.

``allowed`` narrows a field's choices (the evidence layer uses it); a field with one allowed
value is written into the record without a model call.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Literal, Mapping, Sequence

from outlines.types import Regex

from models.base import StructuredLLM
from triage.prompts import CLASSIFY_SYSTEM, classify_user_message
from triage.schema import (
    CATEGORIES,
    CONFIDENCES,
    SENTIMENTS,
    SUBCATEGORY_MAX_CHARS,
    SUMMARY_MAX_CHARS,
    URGENCIES,
    Classification,
)

# Order in which values are written: the summary first lets the labels condition on it.
FIELD_ORDER = (
    "summary", "primary_category", "secondary_category", "subcategory", "urgency",
    "sentiment", "escalation_risk", "confidence", "needs_human_review",
)
CHOICES: dict[str, tuple] = {
    "primary_category": CATEGORIES,
    "secondary_category": (None, *CATEGORIES),
    "urgency": URGENCIES,
    "sentiment": SENTIMENTS,
    "confidence": CONFIDENCES,
    "escalation_risk": (False, True),
    "needs_human_review": (False, True),
}
# Length bounds are enforced by max_tokens and a cut at a word boundary, not in the regex:
# a {1,160} repetition compiles to a huge token index (minutes and GBs with a 49k vocab).
TEXT_PATTERNS = {
    # One sentence: tiny models otherwise repeat themselves until max_tokens.
    "summary": Regex(r'"[A-Z][^"\\\x00-\x1f{}<>.!?]+[.!?]"'),
    "subcategory": Regex(r'"[a-z][a-z_ ]*"'),
}
TEXT_MAX_TOKENS = {"summary": 40, "subcategory": 6}


@dataclass
class ClassifyStats:
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    generated_tokens: int = 0
    llm_calls: int = 0
    seconds: float = 0.0
    fallbacks: list[str] = field(default_factory=list)

    def add(self, gen) -> None:
        """Count one model call (a models.base.Generation)."""
        self.llm_calls += 1
        self.prompt_tokens = max(self.prompt_tokens, gen.prompt_tokens)
        self.prompt_tokens_evaluated += gen.prompt_tokens_evaluated
        self.generated_tokens += gen.generated_tokens
        self.seconds += gen.seconds


def _choice_type(values: Sequence) -> object:
    return Literal[tuple(json.dumps(v) for v in values)]  # type: ignore[valid-type]


def extractive_summary(text: str) -> str:
    """The ticket's first sentence, at most SUMMARY_MAX_CHARS."""
    flat = " ".join(text.split())
    first = re.split(r"(?<=[.!?])\s", flat, maxsplit=1)[0]
    return first if len(first) <= SUMMARY_MAX_CHARS else first[: SUMMARY_MAX_CHARS - 1].rstrip() + "…"


_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
_STOP = {"customer", "ticket", "user", "their", "they", "with", "this", "that", "have", "from", "about", "wants",
         "would", "like", "asks", "asking", "issue", "problem", "request", "requests", "reports"}
SUMMARY_MIN_GROUNDED = 0.6


def summary_is_grounded(summary: str, ticket_text: str) -> bool:
    """Most content words of the summary must occur in the ticket (5-letter prefix match),
    so a tiny model's invented summary ("a problem with their payment" for a dark-mode
    request) is replaced by an extractive one."""
    words = [w.lower() for w in _WORD.findall(summary) if w.lower() not in _STOP]
    if not words:
        return False
    ticket_prefixes = {w.lower()[:5] for w in _WORD.findall(ticket_text)}
    return sum(w[:5] in ticket_prefixes for w in words) / len(words) >= SUMMARY_MIN_GROUNDED


class LLMClassifier:
    """Writes a Classification record with the LLM, each value constrained by Outlines."""

    def __init__(self, llm: StructuredLLM):
        self.llm = llm
        # Build the Outlines generators for the full label sets at start-up.
        for name in FIELD_ORDER:
            self.llm.prepare(self._output_type(name, None))

    def _output_type(self, name: str, allowed: Sequence | None):
        if name in TEXT_PATTERNS:
            return TEXT_PATTERNS[name]
        values = CHOICES[name] if allowed is None else tuple(v for v in CHOICES[name] if v in allowed)
        return _choice_type(values or CHOICES[name])

    def classify(self, text: str, language: str = "unknown",
                 allowed: Mapping[str, Sequence] | None = None) -> tuple[Classification, ClassifyStats]:
        allowed = allowed or {}
        stats = ClassifyStats()
        base = self.llm.render_chat(CLASSIFY_SYSTEM, classify_user_message(text, language))
        record: dict = {}
        for name in FIELD_ORDER:
            options = allowed.get(name)
            if options is not None and name in CHOICES:
                options = [v for v in CHOICES[name] if v in options]
            if options is not None and len(options) == 1:
                record[name] = options[0]
                continue
            partial = json.dumps(record, ensure_ascii=False, separators=(",", ":"))[:-1]
            prompt = base + partial + ("," if record else "") + json.dumps(name) + ":"
            output_type = self._output_type(name, options)
            max_tokens = TEXT_MAX_TOKENS.get(name, 16)
            gen = self.llm.generate_structured(prompt, output_type, max_tokens, field=name)
            stats.add(gen)
            record[name] = self._parse_value(name, gen.text, text, stats)
        if record.get("secondary_category") == record.get("primary_category"):
            record["secondary_category"] = None
        return Classification.model_validate(record), stats

    @staticmethod
    def _parse_value(name: str, raw: str, ticket_text: str, stats: ClassifyStats):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = None
            if name in TEXT_PATTERNS and raw.startswith('"'):
                # max_tokens reached inside the string: close it.
                try:
                    value = json.loads(raw.rstrip("\\") + '"')
                except json.JSONDecodeError:
                    value = None
        if name == "summary":
            value = (value or "").strip()
            if len(value) < 3 or not summary_is_grounded(value, ticket_text):
                stats.fallbacks.append("summary")
                return extractive_summary(ticket_text)
            return extractive_summary(value)
        if name == "subcategory":
            return (value or "other")[:SUBCATEGORY_MAX_CHARS].strip(" _") or "other"
        if name in CHOICES and value not in CHOICES[name]:
            stats.fallbacks.append(name)
            return CHOICES[name][0]
        return value
