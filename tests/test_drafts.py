"""Composed replies and the automatic draft checks (the quality gate)."""
import pytest

from triage.compose import compose_reply, customer_steps, is_praise
from triage.draft import Drafter
from triage.draft_checks import CHECKS, failed_checks, replies
from triage.schema import CATEGORIES

LANGUAGES = [k for k in replies() if not k.startswith("_")]
TICKET = "My card was charged twice for the March invoice and I need the second charge refunded please."


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_composed_reply_passes_every_check(language):
    steps = []
    for category in CATEGORIES:
        for sentiment, urgency in [("angry", "P1"), ("frustrated", "P2"), ("neutral", "P3"), ("positive", "P4"),
                                   ("positive", "P3")]:
            reply = compose_reply(language, category, sentiment, urgency, steps)
            assert failed_checks(reply, TICKET, language) == [], (category, sentiment, urgency, reply)
    assert failed_checks(replies()[language]["clarify"], TICKET, language) == []


def test_praise_gets_thanks_and_no_request():
    assert is_praise("general", "positive", "P4") and not is_praise("feature_request", "positive", "P4")
    reply = compose_reply("en", "general", "positive", "P4")
    assert "kind words" in reply and "please reply" not in reply.lower()
    assert "urgent" in compose_reply("en", "technical", "angry", "P1")


def test_steps_from_another_customers_resolution_keep_instructions_and_drop_claims_and_numbers():
    resolution = ("I'm sorry about that. I've refunded the €4.90 fee. You can change the default card under "
                  "Settings, then Payment methods. Your next invoice will show the new card. Call 0800 123 456 "
                  "if you need us. {{Website URL}} has your receipts.")
    assert customer_steps(resolution, "en") == ["You can change the default card under Settings, then Payment methods.",
                                                "Your next invoice will show the new card."]
    assert customer_steps("Hemos reembolsado el cargo. Puede cambiar su tarjeta en Ajustes y Pagos.", "es") == \
        ["Puede cambiar su tarjeta en Ajustes y Pagos."]


@pytest.mark.parametrize("draft,language,check", [
    ("Thank you for writing to us about this. We will look into your case and get back to you as soon as "
     "we possibly can, so please bear with us while we check everything for", "en", "complete_sentence"),
    ("Customer: my card was charged twice. Resolution: we will refund your payment and let you know once the "
     "money is back on your card, thanks for waiting patiently.", "en", "no_scaffolding"),
    ("Thank you for your message. We told the customer that the refund is on its way and that the money will "
     "arrive on your card within a few working days.", "en", "no_scaffolding"),
    ("Thank you. You said: my card was charged twice for the March invoice and I need it fixed. We will look "
     "into your case and get back to you as soon as we can.", "en", "no_copied_run"),
    ("Thank you for your message. We will look into it for you. We will look into it for you again and reply "
     "to your question about the refund as soon as possible.", "en", "no_repeated_ngram"),
    ("Thanks for the message. The team will check the duplicate charge on the March invoice and the second "
     "charge will be reversed within a few working days once the bank confirms it.", "en", "second_person"),
    ("Gracias por su mensaje. Revisaremos el doble cargo de la factura de marzo y le devolveremos el segundo "
     "cargo en unos días hábiles cuando el banco lo confirme.", "en", "language"),
    ("Thank you, we will check your invoice.", "en", "length"),
    ("Thank you for your message about your invoice. You can see every charge and download the receipts at "
     "https://billing.example.com/receipts whenever you need them, any time of day.", "en", "grounded"),
])
def test_each_check_catches_its_failure(draft, language, check):
    assert check in CHECKS
    assert check in failed_checks(draft, TICKET, language)


def test_gate_replaces_an_echoing_generated_draft_with_the_composed_reply():
    class EchoLLM:
        def render_chat(self, system, user, assistant_prefix=""):
            return f"<s>{system}</s><u>{user}</u>"

        def stream_text(self, prompt, max_tokens, stop=None, cached_prefix=None, **kwargs):
            yield "Customer: " + TICKET

    d = Drafter(EchoLLM(), kb=None, strategy="generate").draft(TICKET, "en", "frustrated", "P2", "billing")
    assert d.strategy == "composed" and {"no_scaffolding", "no_copied_run"} <= set(d.replaced_checks)
    assert "replaced" in d.gate and d.text.startswith("I'm sorry") and not d.checks_failed


def test_composed_is_the_default_and_needs_no_model():
    d = Drafter(None, kb=None).draft(TICKET, "en", "neutral", "P3", "billing")
    assert d.strategy == "composed" and d.gate == "passed" and d.tokens == 0
    with pytest.raises(ValueError, match="strategy"):
        Drafter(None, kb=None, strategy="poetry")
