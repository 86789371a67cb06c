"""The grounding check: every URL, e-mail address, phone number, price, date and order/reference
number in a draft that no source (the ticket, the resolutions the draft was built from) contains is
replaced by a placeholder and listed."""
from __future__ import annotations

import re

import phonenumbers
from pydantic import BaseModel

from triage.pii import EMAIL_RE, LANGUAGE_REGIONS

PATTERNS = {
    "url": re.compile(r"(https?://[^\s<>()\"']+|www\.[^\s<>()\"']+|\b[\w-]+\.(?:com|net|org|io|co|app|dev|ai|eu|de|fr|es|nl|it|uk)"
                      r"(?:/[^\s<>()\"']*)?)", re.IGNORECASE),
    "email": EMAIL_RE,
    "price": re.compile(r"([$€£¥]\s?\d[\d.,]*|\b\d[\d.,]*\s?(?:USD|EUR|GBP|CHF|€|\$|£|dollars?|euros?|pounds?)\b)", re.IGNORECASE),
    "reference": re.compile(r"(#\s?\d{3,}|\b[A-Z]{2,6}-\d{3,}\b|\b[A-Za-z]{0,4}\d{5,}\b)"),  # B12345678 too
    "date": re.compile(r"(\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b)"),
    # digit groups that phonenumbers does not accept for the region ("1023-4875"): 7+ digits
    "phone": re.compile(r"(?<![\w.,])\+?\d[\d ().-]{5,}\d(?![\w])"),
}
PLACEHOLDERS = {"url": "[LINK]", "email": "[EMAIL]", "phone": "[PHONE]", "price": "[AMOUNT]", "reference": "[REFERENCE]",
                "date": "[DATE]"}
NUMERIC_KINDS = ("price", "reference", "phone", "date")


class RemovedItem(BaseModel):
    kind: str
    value: str


def _norm(value: str) -> str:
    return value.lower().rstrip(".,;:!?)/")


def source_numbers(sources: list[str]) -> tuple[set, set]:
    """(digit runs, digits of formatted numbers such as '+34 612 345 678') found in the sources."""
    haystack = "\n".join(sources)
    runs = set(re.findall(r"\d+", haystack))
    formatted = {re.sub(r"\D", "", m.group(0)) for m in re.finditer(r"\+?\d[\d ().,/-]*\d", haystack)}
    return runs, formatted


def number_is_grounded(value: str, runs: set, formatted: set) -> bool:
    """A number is grounded when the sources hold it (formatted or not), or when each of its
    digit groups is a number of the sources ('6217 (439 €)' from 'order 6217 ... 439 €')."""
    key = re.sub(r"\D", "", value)
    if not key:
        return False
    if key in runs or key in formatted:
        return True
    groups = re.findall(r"\d+", value)
    return len(groups) > 1 and all(g in runs for g in groups)


def grounding_check(draft: str, sources: list[str], language: str = "en") -> tuple[str, list[RemovedItem]]:
    """Replace facts in the draft that no source contains; return the cleaned draft and what was removed."""
    lowered = "\n".join(sources).lower()
    runs, formatted = source_numbers(sources)
    found: list[tuple[int, int, str, str]] = []
    for kind, pattern in PATTERNS.items():
        for m in pattern.finditer(draft):
            if kind == "phone" and len(re.sub(r"\D", "", m.group(0))) < 7:
                continue
            found.append((m.start(), m.end(), kind, m.group(0)))
    region = LANGUAGE_REGIONS.get(language, "US")
    for m in phonenumbers.PhoneNumberMatcher(draft, region, leniency=phonenumbers.Leniency.POSSIBLE):
        found.append((m.start, m.end, "phone", m.raw_string))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    kept_spans, removed = [], []
    for start, end, kind, value in found:
        if any(start < e and s < end for s, e in kept_spans):
            continue  # inside a longer match already handled
        if kind in NUMERIC_KINDS:
            grounded = number_is_grounded(value, runs, formatted)
        else:
            key = _norm(value)
            grounded = bool(key) and key in lowered
        if not grounded:
            kept_spans.append((start, end))
            removed.append((start, end, kind, value))
    text = draft
    for start, end, kind, value in sorted(removed, reverse=True):
        text = text[:start] + PLACEHOLDERS[kind] + text[end:]
    return text, [RemovedItem(kind=k, value=v.strip()) for _, _, k, v in removed]
