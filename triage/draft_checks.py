"""Automatic checks a reply draft must pass before an agent sees it (the drafter's quality gate,
and `scripts.eval_drafts`). Each check is a name and a yes/no; the words each language uses for
"you" and for talking about "the customer" live in triage/data/replies.json.

- complete_sentence: the last sentence ends (. ! ? or a closing quote/bracket after one), not cut.
- no_scaffolding: no role labels ("Customer:", "Resolution:"), prompt text, chat tokens, and no
  third-person talk about "the customer".
- no_copied_run: no run of >= 8 words copied from the ticket (echoing the customer is not a reply).
- no_repeated_ngram: no 5-word sequence said twice (small models loop).
- second_person: it speaks to the customer ("you", "Sie", "vous", …).
- language: written in the ticket's language (langdetect; "unknown" passes for short texts).
- length: 25-150 words.
- grounded: no URL, e-mail address or phone number that neither the ticket nor the resolutions the
  draft was built from contain (an independent scanner, broader than the drafter's own rewrite)."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import phonenumbers

from triage.grounding import number_is_grounded, source_numbers
from triage.pii import LANGUAGE_REGIONS
from triage.preprocess import detect_language

REPLIES_FILE = Path(__file__).with_name("data") / "replies.json"
CHECKS = ("complete_sentence", "no_scaffolding", "no_copied_run", "no_repeated_ngram", "second_person", "language",
          "length", "grounded")
MIN_WORDS, MAX_WORDS = 25, 150
COPIED_RUN, REPEATED_NGRAM = 8, 5
SCAFFOLDING = re.compile(
    r"(^|\n)\s*(customer|agent|assistant|user|system|support|reply|response|resolution|ticket|subject)\s*:"
    r"|resolved tickets like this|customer ticket|write the reply|at most \d+ words|<\|im_|<end_of_turn>|<\|endoftext"
    r"|</?ticket", re.IGNORECASE)
URL = re.compile(r"(https?://\S+|www\.\S+|\b[\w-]+(\.[\w-]+)*\.(com|net|org|io|co|app|dev|ai|eu|de|fr|es|nl|it|uk|pt|info|biz)\b\S*)", re.I)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
LONG_DIGITS = re.compile(r"\+?\d[\d ()./-]{6,}\d")
ENDS_SENTENCE = re.compile(r"[.!?…。][\"'»”’)\]]*$|[.!?]\s*\[[A-Z_ ]+\]$")


@lru_cache(maxsize=1)
def replies() -> dict:
    """The per-language reply data (building blocks and check words)."""
    return json.loads(REPLIES_FILE.read_text(encoding="utf-8"))


def words(text: str) -> list[str]:
    return re.findall(r"\w+(?:'\w+)?", text.lower())


def _ngrams(tokens: list[str], n: int) -> list[tuple]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def copied_run(draft: str, ticket: str, n: int = COPIED_RUN) -> bool:
    return bool(set(_ngrams(words(draft), n)) & set(_ngrams(words(ticket), n)))


def repeated_ngram(draft: str, n: int = REPEATED_NGRAM) -> bool:
    grams = _ngrams(words(draft), n)
    return len(grams) != len(set(grams))


def speaks_to_customer(draft: str, language: str) -> bool:
    data = replies().get(language) or replies()["en"]
    tokens = set(re.findall(r"\w+", draft))  # case kept: German "Sie" is you, "sie" is not
    lowered = {t.lower() for t in tokens}
    return any((w in tokens) if w[0].isupper() else (w in lowered) for w in data["second_person"])


def has_scaffolding(draft: str, language: str) -> bool:
    if SCAFFOLDING.search(draft):
        return True
    lowered = " ".join(draft.lower().split())
    data = replies().get(language) or replies()["en"]
    return any(re.search(rf"\b{re.escape(p)}\b", lowered) for p in data["third_person_customer"])


def ungrounded_facts(draft: str, sources: list[str], language: str) -> list[dict]:
    """URLs, e-mail addresses and phone-like numbers in the draft that no source contains."""
    haystack = "\n".join(sources).lower()
    runs, formatted = source_numbers(sources)
    found = [("url", m.group(0)) for m in URL.finditer(draft)] + [("email", m.group(0)) for m in EMAIL.finditer(draft)]
    found += [("phone", m.raw_string) for m in phonenumbers.PhoneNumberMatcher(
        draft, LANGUAGE_REGIONS.get(language, "US"), leniency=phonenumbers.Leniency.POSSIBLE)]
    found += [("phone", m.group(0)) for m in LONG_DIGITS.finditer(draft)]
    out = []
    for kind, value in found:
        if kind == "phone":
            grounded = len(re.sub(r"\D", "", value)) < 7 or number_is_grounded(value, runs, formatted)
        else:
            grounded = value.lower().rstrip(".,;:!?)/") in haystack
        if not grounded:
            out.append({"kind": kind, "value": value})
    return out


def failed_checks(draft: str, ticket: str, language: str, sources: list[str] | None = None) -> list[str]:
    """Names of the checks (CHECKS) this draft fails; empty when it may be shown."""
    text = draft.strip()
    n_words = len(text.split())
    written_in = detect_language(text) if text else "unknown"
    results = {
        "complete_sentence": bool(ENDS_SENTENCE.search(text)),
        "no_scaffolding": not has_scaffolding(text, language),
        "no_copied_run": not copied_run(text, ticket),
        "no_repeated_ngram": not repeated_ngram(text),
        "second_person": speaks_to_customer(text, language),
        "language": written_in in ("unknown", language) or language not in replies(),
        "length": MIN_WORDS <= n_words <= MAX_WORDS,
        "grounded": not ungrounded_facts(text, sources if sources is not None else [ticket], language),
    }
    return [name for name in CHECKS if not results[name]]
