"""Grounding check, clarification, escalation risk levels, churn/upsell, routing, helpdesk payloads."""
from datetime import datetime, timedelta, timezone

import pytest

from triage.business_signals import churn_risk, upsell_opportunity
from triage.draft import Drafter, limit_words, remove_repetition
from triage.preprocess import is_vague
from triage.grounding import grounding_check
from triage.escalation import escalation_signals, risk_level
from triage.routing import RoutingConfigError, load_routing, route
from triage.schema import CATEGORIES, URGENCIES


def test_invented_url_email_phone_price_and_order_are_removed_and_listed():
    ticket = "My order #48213 was charged $49.99 twice."
    draft = ("Sorry! Your order #48213 ($49.99) is refunded. See https://help.example.com/refunds or mail "
             "billing@example.com, call +1 415 555 2671. Your new order 99887766 costs €12.")
    clean, removed = grounding_check(draft, [ticket])
    kinds = sorted(r.kind for r in removed)
    assert kinds == ["email", "phone", "price", "reference", "url"]
    assert "#48213" in clean and "$49.99" in clean  # grounded in the ticket: kept
    for invented in ("example.com", "555", "99887766", "€12"):
        assert invented not in clean
    assert "[LINK]" in clean and "[EMAIL]" in clean and "[PHONE]" in clean


def test_numbers_the_regex_used_to_miss_and_numbers_built_from_ticket_facts():
    ticket = "Order 6217 (439 €) never arrived. Please help."
    draft = "Your order 6217 (439 €) is on its way. Chat: 1023-4875, NIF B12345678, next delivery 12.05.2025."
    clean, removed = grounding_check(draft, [ticket], "fr")
    assert sorted(r.kind for r in removed) == ["date", "phone", "reference"]
    assert "6217 (439 €)" in clean and "1023-4875" not in clean and "B12345678" not in clean and "[DATE]" in clean
    # a number is not "grounded" just because its digits occur somewhere in a longer number
    clean, removed = grounding_check("Call 555 2671 now", ["Ticket 9915552671001"], "en")
    assert [r.kind for r in removed] == ["phone"]


def test_facts_in_context_are_grounded():
    clean, removed = grounding_check("Reset it under Settings at www.acme.io/reset", ["ticket"], "en")
    assert removed and "[LINK]" in clean
    clean, removed = grounding_check("Reset it at www.acme.io/reset", ["ticket", "Resolution: go to www.acme.io/reset"])
    assert not removed and "www.acme.io/reset" in clean


def test_vague_tickets_get_a_clarification_without_model_call():
    class NoLLM:
        def stream_text(self, *a, **k):
            raise AssertionError("must not be called")

    drafter = Drafter(NoLLM(), kb=None)
    for text in ("help", "???", "nothing works", "Hilfe!"):
        assert is_vague(text, 3)
        d = drafter.draft(text, "de" if text == "Hilfe!" else "en", "neutral", "P3", "general")
        assert d.clarification and d.strategy == "clarify"
    assert "Fehlermeldung" in drafter.draft("Hilfe!", "de", "neutral", "P3", "general").text


class ScriptedLLM:
    """Streams a fixed reply word by word and records how it was called."""

    def __init__(self, reply: str):
        self.reply, self.calls = reply, []

    def render_chat(self, system: str, user: str, assistant_prefix: str = "") -> str:
        return f"<system>{system}</system><user>{user}</user>{assistant_prefix}"

    def stream_text(self, prompt, max_tokens, stop=None, cached_prefix=None, **kwargs):
        self.calls.append({"prompt": prompt, "cached_prefix": cached_prefix, "max_tokens": max_tokens})
        for word in self.reply.split(" "):
            yield word + " "


def test_generated_draft_streams_with_cached_system_prefix_and_the_gate_replaces_a_failing_one():
    english = ("Thank you for contacting us about your invoice. We have checked the account and the duplicate "
               "charge will be reversed within a few days. Please let us know if anything else comes up.")
    llm = ScriptedLLM(english)
    drafter = Drafter(llm, kb=None, max_tokens=50, strategy="generate")
    pieces = list(drafter.stream("My invoice was charged twice this month, please fix it.", "en", "neutral", "P3", "billing"))
    final = pieces[-1]
    assert final.strategy == "llm" and final.text.startswith("Thank you") and len(pieces) > 3  # streamed
    assert final.gate == "passed" and not final.checks_failed and not final.replaced_checks
    call = llm.calls[0]
    assert call["prompt"].startswith(call["cached_prefix"]) and "<system>" in call["cached_prefix"]
    assert "in English" in call["prompt"] and call["max_tokens"] == 50
    # the same English text for a Spanish ticket fails the language check: the composed Spanish reply replaces it
    spanish = drafter.draft("Me han cobrado dos veces la factura de este mes, por favor corríjanlo.", "es",
                            "frustrated", "P3", "billing")
    assert spanish.strategy == "composed" and "language" in spanish.replaced_checks and "language" in spanish.gate
    assert spanish.text.startswith("Lamentamos") and not spanish.checks_failed


def test_repetition_and_length_limits():
    assert remove_repetition("I will help. I will help.\nI will help.\nDone.") == "I will help.\n\nDone." or \
        remove_repetition("I will help. I will help.\nI will help.\nDone.").count("I will help") == 1
    long = " ".join(["word"] * 400) + "."
    assert len(limit_words(long).split()) <= 150


@pytest.mark.parametrize("text,signals,level", [
    ("Please reset my password.", [], "low"),
    ("I have been waiting for 5 days for an answer.", ["waiting_days"], "medium"),
    ("Fix this or I'll cancel my\nsubscription.", ["churn_threat"], "high"),
    ("My lawyer will contact you.", ["legal"], "critical"),
    ("I will file a complaint with the BBB.", ["regulator"], "critical"),
    ("Quiero hablar con un supervisor ahora mismo.", ["manager_request"], "high"),
    ("Ich warte seit zwei Wochen und habe keine Antwort bekommen.", ["waiting_days"], "medium"),
    ("I don't want to cancel, I just need the invoice fixed.", [], "low"),
    ("Can you refund order 123? Thanks!", [], "low"),
    ("Where can I lodge a complaint against your business?", ["formal_complaint"], "high"),
    ("@airline on hold for 2 hours and then you hung up on me", ["waiting_days"], "medium"),
    ("I emailed you three times last week.", ["waiting_days"], "medium"),
    ("I will never fly with you again.", ["churn_threat"], "high"),
    ("Non voglio aprire una contestazione con la banca, chiedo solo il rimborso.", [], "low"),
    # everyday words that only look like signals: evaluation, process, consumption, unresponsive screen
    ("Gostaria de uma avaliação do servidor; não consegue processar os pedidos e a tela fica sem resposta.", [], "low"),
    ("Necesitamos optimizar nuestro consumo de recursos.", [], "low"),
    ("I've tried 3 times in different browsers and the link still fails.", [], "low"),
])
def test_escalation_signals_and_risk(text, signals, level):
    fired = escalation_signals(text)
    assert sorted(fired) == sorted(signals)
    assert risk_level(fired, False, "neutral") == level


def test_risk_merges_flag_and_sentiment():
    assert risk_level([], True, "neutral") == "medium"
    assert risk_level([], True, "angry") == "high"
    assert risk_level(["churn_threat", "public_post"], True, "angry") == "critical"


def test_churn_and_upsell_signals_with_triggers_and_value():
    churn = churn_risk("Honestly we are reconsidering the renewal, a competitor is cheaper.", mrr=1200.0)
    assert churn.present and {"competitor", "renewal_doubt"} <= set(churn.triggers) and churn.account_value == 1200.0
    up = upsell_opportunity("We're growing fast and need to add 20 more seats, what would the enterprise plan cost?")
    assert up.present and {"more_seats", "enterprise"} <= set(up.triggers)
    assert not churn_risk("Where is my parcel?").present and not upsell_opportunity("Where is my parcel?").present


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("urgency", URGENCIES)
def test_routing_for_every_category_and_urgency(category, urgency):
    cfg = load_routing()
    created = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    r = route(cfg, category, urgency, "neutral", "low", False, created)
    hours = {"billing": [1, 4, 24, 72], "technical": [0.5, 2, 24, 72], "account": [1, 4, 24, 72],
             "feature_request": [24, 48, 72, 168], "general": [2, 8, 24, 72]}[category][URGENCIES.index(urgency)]
    assert r.sla_hours == hours and (r.due_at - created).total_seconds() == hours * 3600
    assert r.escalated == (urgency == "P1")
    assert r.team == (cfg.teams[category].escalation_team if urgency == "P1" else cfg.teams[category].team)


def test_escalation_by_risk_sentiment_and_review_queue():
    cfg = load_routing()
    assert route(cfg, "billing", "P3", "angry", "low", False).escalated
    assert route(cfg, "billing", "P3", "neutral", "high", False).team == "Billing escalations"
    r = route(cfg, "general", "P4", "positive", "low", True)
    assert r.queue == "Human review" and r.human_review and not r.escalated


def test_customer_tier_scales_the_sla_and_unknown_tiers_keep_it():
    cfg = load_routing()
    created = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    base = route(cfg, "billing", "P2", "neutral", "low", False, created)
    enterprise = route(cfg, "billing", "P2", "neutral", "low", False, created, customer_tier="enterprise")
    assert base.sla_hours == 4 and enterprise.sla_hours == 4 * cfg.tier_sla_factor["enterprise"] < 4
    assert enterprise.due_at == created + timedelta(hours=enterprise.sla_hours)
    assert enterprise.customer_tier == "enterprise"
    assert route(cfg, "billing", "P2", "neutral", "low", False, created, customer_tier="free").sla_hours == 4


def test_invalid_routing_file_names_key_and_allowed_values(tmp_path):
    bad = tmp_path / "routing.toml"
    text = (load_routing.__globals__["DEFAULT_ROUTING_FILE"]).read_text()
    bad.write_text(text.replace('urgencies = ["P1"]', 'urgencies = ["P0"]'))
    with pytest.raises(RoutingConfigError, match=r"escalate_when\.urgencies\.0.*P0.*allowed"):
        load_routing(bad)
    bad.write_text(text.replace("[teams.general]", "[teams.sales]"))
    with pytest.raises(RoutingConfigError, match="teams.*missing: general"):
        load_routing(bad)
    bad.write_text(text.replace("general = [2, 8, 24, 72]", "general = [2, 8]"))
    with pytest.raises(RoutingConfigError, match="sla_hours.general"):
        load_routing(bad)
    bad.write_text(text.replace("enterprise = 0.5", "enterprise = 0"))
    with pytest.raises(RoutingConfigError, match="tier_sla_factor.enterprise"):
        load_routing(bad)


def test_helpdesk_payloads_map_priority_and_keep_note_private():
    from tests.fakes import FakeLLM
    from triage.config import Settings
    from triage.draft import Draft
    from triage.helpdesk import freshdesk_update, zendesk_update
    from triage.wiring import build_triager

    triager = build_triager(Settings(), mode="llm", llm=FakeLLM(answers={"urgency": '"P2"'}))
    result = triager.run("I will cancel my subscription, the export is broken!")
    result.draft = Draft(text="Sorry about the export.")
    z = zendesk_update(result)["ticket"]
    assert z["priority"] == "high" and z["comment"]["public"] is False
    assert "Sorry about the export." in z["comment"]["body"]
    assert "escalation_churn_threat" in z["tags"] and "urgency_p2" in z["tags"]
    f = freshdesk_update(result)
    assert f["priority"] == 3 and f["note"]["private"] is True
