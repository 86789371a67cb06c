"""The evidence layer on the project's real knowledge base (built by `make test` when missing)."""

import pytest

from triage.config import get_settings

CLEAR = {
    "en": {
        "billing": "I was charged twice on my credit card for this month's subscription, please refund one.",
        "technical": "The app crashes with error 500 every time I upload a file.",
        "account": "I forgot my password and cannot log in to my account.",
        "feature_request": "It would be great if you could add an option to export reports as PDF.",
        "general": "Where is my order? It has not arrived yet and I want to know the delivery date.",
    },
    "es": {
        "billing": "Me habéis cobrado dos veces la suscripción de este mes, quiero el reembolso de uno.",
        "technical": "La aplicación se cierra con un error 500 cada vez que subo un archivo.",
        "account": "He olvidado mi contraseña y no puedo iniciar sesión en mi cuenta.",
        "feature_request": "Sería genial que añadierais una opción para exportar los informes en PDF.",
        "general": "¿Dónde está mi pedido? Todavía no ha llegado y quiero saber la fecha de entrega.",
    },
    "de": {
        "billing": "Sie haben mir das Abo diesen Monat zweimal abgebucht, bitte erstatten Sie eine Zahlung.",
        "technical": "Die App stürzt jedes Mal mit Fehler 500 ab, wenn ich eine Datei hochlade.",
        "account": "Ich habe mein Passwort vergessen und kann mich nicht mehr anmelden.",
    },
}


@pytest.fixture(scope="session")
def evidence_triager(project_kb):
    from triage.wiring import build_triager

    return build_triager(get_settings(), mode="evidence", kb=project_kb)


@pytest.mark.parametrize("lang,category", [(lang, c) for lang, cases in CLEAR.items() for c in cases])
def test_clear_tickets_get_their_category(evidence_triager, lang, category):
    result = evidence_triager.run(CLEAR[lang][category])
    assert result.classification.primary_category == category
    decision = result.decisions["primary_category"]
    assert decision.source == "evidence" and 0 < decision.probability <= 1
    sims = [t.similarity for t in result.similar_tickets]
    assert sims and sims == sorted(sims, reverse=True) and sims[0] > 0.15


def test_p1_rule_and_pure_feature_request_rule(evidence_triager):
    """The rules decide when they are on; which stay on is triage/tuning.json's choice."""
    from triage.config import Tuning
    from triage.decide import decide

    def decided(text, tuning):
        masked = evidence_triager.prepare(text).masked
        return decide(masked, evidence_triager.evidence.assess(masked), None, tuning)

    outage = "Our whole platform is down for all customers since 9am, nobody can log in."
    with_rules = decided(outage, Tuning())
    assert with_rules.values["urgency"] == "P1" and with_rules.decisions["urgency"].source.startswith("rule:")
    without = decided(outage, Tuning(p1_rules=[]))
    assert not without.decisions["urgency"].source.startswith("rule:") and without.p1_signals == []
    idea = decided("Feature request: it would be nice to have a dark mode in the dashboard.", Tuning())
    assert idea.values["primary_category"] == "feature_request" and idea.values["urgency"] == "P4"


def test_escalation_signal_is_listed(evidence_triager):
    result = evidence_triager.run("Third email this week and still no answer. If this is not fixed I will "
                                  "cancel my\nsubscription and dispute the charge with my bank.")
    assert result.classification.escalation_risk
    assert {"churn_threat", "chargeback_dispute", "waiting_days"} <= set(result.escalation_signals)


def test_vague_ticket_needs_review(evidence_triager):
    result = evidence_triager.run("nothing works")
    assert result.classification.needs_human_review


def test_feedback_helps_the_next_similar_ticket(make_triager):
    triager = make_triager(mode="evidence")
    kb = triager.kb
    text = "The quantum flux capacitor add-on keeps flickering purple in the sidebar."
    first = triager.run(text)
    new_id = kb.add_resolved(first.masked_text, {"category": "technical", "urgency": "P4", "sentiment": "neutral",
                                                 "escalation": False},
                             resolution="Known cosmetic bug, fixed in 2.3.",
                             original_prediction=first.classification.model_dump())
    triager.refresh()
    second = triager.run("Flux capacitor add-on flickering purple in my sidebar, is this known?")
    assert second.similar_tickets[0].id == new_id
    assert triager.evidence.heads.kb_version == kb.version
