"""The one masking path: every detector's spans, overlaps resolved, each replaced by a typed
placeholder ([EMAIL], [PERSON], [SECRET], …) with counts by type. The masked text is what the LLM
sees and all that is stored (KB, corrections, batch and evaluation outputs).

Which types are masked, and extra patterns (e.g. the company's own customer-ID format), come from
the settings (`pii_types`, `pii_custom_patterns`), validated at start-up."""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from triage.pii.names import find_names_and_addresses
from triage.pii.numbers import find_numbers
from triage.pii.secrets import find_secrets
from triage.pii.spans import Span, resolve
from triage.schema import PIIReport

PII_TYPES = ("EMAIL", "PHONE", "CARD", "IBAN", "SSN", "NATIONAL_ID", "PASSPORT", "IP", "DOB", "SECRET", "PERSON",
             "ADDRESS")


class PIIConfigError(ValueError):
    """A masking setting is invalid: the message names it."""


@lru_cache(maxsize=32)
def compile_custom(patterns: tuple[tuple[str, str], ...]) -> tuple[tuple[str, re.Pattern], ...]:
    """(TYPE, regex) pairs -> compiled; a bad regex or type name is a PIIConfigError naming it."""
    out = []
    for name, regex in patterns:
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{1,30}", name):
            raise PIIConfigError(f"custom PII type {name!r} must be UPPER_CASE letters, digits or _")
        try:
            out.append((name, re.compile(regex)))
        except re.error as exc:
            raise PIIConfigError(f"custom PII pattern for {name} is not a valid regex: {exc}") from exc
    return tuple(out)


def find_pii(text: str, language: str | None = None, types: tuple[str, ...] | None = None,
             custom: tuple[tuple[str, str], ...] = ()) -> list[Span]:
    """Non-overlapping spans of personal data and secrets, of the enabled types."""
    wanted = set(PII_TYPES if types is None else types)
    unknown = wanted - set(PII_TYPES)
    if unknown:
        raise PIIConfigError(f"unknown PII type(s) {sorted(unknown)}; known: {', '.join(PII_TYPES)}")
    spans = find_secrets(text) + find_numbers(text, language) + find_names_and_addresses(text)
    spans = [s for s in spans if s.type in wanted]
    for name, pattern in compile_custom(tuple(custom)):
        spans += [Span(m.start(), m.end(), name) for m in pattern.finditer(text) if m.end() > m.start()]
    return resolve(spans)


class Masker:
    """mask_pii with the configured types and custom patterns, validated when it is built (at
    start-up: a bad setting stops the app naming it, not the first ticket)."""

    def __init__(self, types=None, custom: dict[str, str] | None = None):
        self.types = tuple(PII_TYPES if types is None else types)
        self.custom = tuple(sorted((custom or {}).items()))
        unknown = set(self.types) - set(PII_TYPES)
        if unknown:
            raise PIIConfigError(f"unknown PII type(s) {sorted(unknown)} in pii_types; known: {', '.join(PII_TYPES)}")
        compile_custom(self.custom)

    def __call__(self, text: str, language: str | None = None) -> tuple[str, PIIReport]:
        return mask_pii(text, language, self.types, self.custom)


def mask_pii(text: str, language: str | None = None, types: tuple[str, ...] | None = None,
             custom: tuple[tuple[str, str], ...] = ()) -> tuple[str, PIIReport]:
    """Return the text with PII replaced by typed placeholders, and counts by type."""
    counts: Counter = Counter()
    parts, last = [], 0
    for span in find_pii(text, language, types, custom):
        parts += [text[last: span.start], f"[{span.type}]"]
        last = span.end
        counts[span.type] += 1
    parts.append(text[last:])
    return "".join(parts), PIIReport(counts=dict(sorted(counts.items())))
