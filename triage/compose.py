"""Composed replies: a plan, then the words. The reply's skeleton comes from the decided fields —
acknowledge the problem (by category and tone), the customer-facing steps of the nearest
resolution when one is close enough, what we need from the customer, what happens next — with
the sentences of triage/data/replies.json in the ticket's language.

It promises nothing the product has not done: no refunds, no dates, no amounts. Sentences taken
from another customer's resolution are kept only when they speak to the customer and claim no
action ("I've refunded …" was true for that customer, not this one) and carry no numbers."""
from __future__ import annotations

import re

from triage.draft_checks import replies

UPSET = ("angry", "frustrated")
MAX_STEPS = 2
STEP_WORDS = (5, 40)


def blocks(language: str) -> dict:
    data = replies()
    return data.get(language) or data["en"]


def is_praise(category: str, sentiment: str, urgency: str) -> bool:
    """Positive low-urgency messages that ask for nothing: thank them, ask nothing."""
    return sentiment == "positive" and urgency == "P4" and category != "feature_request"


def customer_steps(resolution: str, language: str, max_steps: int = MAX_STEPS) -> list[str]:
    """Sentences of a resolved ticket's resolution that tell the customer what to do: they address
    the customer, use no first person (no claims of what an agent did), are no courtesy (thanks,
    apologies, "if you have any questions": the composed reply has its own), carry no numbers, links
    or template slots, and are of a readable length."""
    words = blocks(language)
    second = {w.lower() for w in words["second_person"]}
    first = {w.lower() for w in words["first_person"]}
    courtesy = tuple(words["step_skip_starts"])
    out = []
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join((resolution or "").split())):
        tokens = {t.lower() for t in re.findall(r"\w+", sentence)}
        n = len(sentence.split())
        if (tokens & second and not tokens & first and not sentence.lower().startswith(courtesy)
                and not re.search(r"\d|\{\{|\[|https?:|www\.|@", sentence)
                and STEP_WORDS[0] <= n <= STEP_WORDS[1] and sentence[-1:] in ".!"):
            out.append(sentence)
        if len(out) == max_steps:
            break
    return out


def compose_reply(language: str, category: str, sentiment: str, urgency: str, steps: list[str] | None = None) -> str:
    """The full reply, one paragraph per part."""
    b = blocks(language)
    tone = "upset" if sentiment in UPSET else "positive" if sentiment == "positive" else "calm"
    if is_praise(category, sentiment, urgency):
        return " ".join([b["opener"][tone], b["acknowledge"]["praise"], b["next"]["praise"]])
    cat = category if category in b["ask"] else "general"
    # A suggestion's acknowledgement already thanks them; an upset customer still gets the apology.
    opener = "" if cat == "feature_request" and tone != "upset" else b["opener"][tone] + " "
    parts = [f"{opener}{b['acknowledge'][cat]}"]
    if steps:
        parts.append(" ".join([b["steps_intro"], *steps]))
    nxt = "urgent" if urgency == "P1" else "feature_request" if cat == "feature_request" else "normal"
    parts.append(f"{b['ask'][cat]} {b['next'][nxt]}")
    return "\n\n".join(parts)


def clarification(language: str) -> str:
    return blocks(language)["clarify"]
