"""PII detection and masking. Only validated matches are masked (Luhn for cards,
ISO 13616 mod-97 for IBANs, phonenumbers' validity for phones), so order numbers and
amounts survive. The masked text is what the LLM sees and all that is stored."""
from __future__ import annotations

import re
from collections import Counter

import phonenumbers

from triage.schema import PIIReport

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
CARD_RE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
SSN_RE = re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")

# Region used to parse phone numbers written without a country code, by ticket language.
LANGUAGE_REGIONS = {"en": "US", "de": "DE", "fr": "FR", "es": "ES", "pt": "PT", "it": "IT", "nl": "NL"}


def luhn_valid(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    iban = candidate.replace(" ", "").upper()
    if not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def _mask_regex(text: str, pattern: re.Pattern, label: str, counts: Counter, validate=None) -> str:
    def replace(match: re.Match) -> str:
        if validate is not None and not validate(match.group(0)):
            return match.group(0)
        counts[label] += 1
        return f"[{label}]"

    return pattern.sub(replace, text)


def _card_ok(raw: str) -> bool:
    digits = re.sub(r"\D", "", raw)
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


def _mask_phones(text: str, language: str | None, counts: Counter) -> str:
    region = LANGUAGE_REGIONS.get(language or "", "US")
    spans = []
    for region_code in dict.fromkeys([region, "US"]):
        for m in phonenumbers.PhoneNumberMatcher(text, region_code, leniency=phonenumbers.Leniency.VALID):
            if not any(m.start < end and start < m.end for start, end in spans):
                spans.append((m.start, m.end))
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + "[PHONE]" + text[end:]
        counts["PHONE"] += 1
    return text


def mask_pii(text: str, language: str | None = None) -> tuple[str, PIIReport]:
    """Return the text with PII replaced by typed placeholders, and counts by type."""
    counts: Counter = Counter()
    text = _mask_regex(text, EMAIL_RE, "EMAIL", counts)
    text = _mask_regex(text, IBAN_RE, "IBAN", counts, iban_valid)
    text = _mask_regex(text, CARD_RE, "CARD", counts, _card_ok)
    text = _mask_regex(text, SSN_RE, "SSN", counts)
    text = _mask_phones(text, language, counts)
    return text, PIIReport(counts=dict(counts))
