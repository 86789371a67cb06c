"""Churn-risk and upsell-opportunity signals, each with the phrases that triggered them."""
from __future__ import annotations

import re
from typing import Optional

from pydantic import BaseModel, Field

from triage.escalation import SIGNALS

_F = re.IGNORECASE | re.UNICODE
CHURN = {
    "cancellation": SIGNALS["churn_threat"],
    "competitor": re.compile(r"(competitor|another (provider|vendor|tool|bank|platform)|alternative(s)?\b|"
                             r"(cheaper|better) (elsewhere|option)|la competencia|konkurrenz|concurrent|concorrente|concorrenza|concurrentie)", _F),
    "renewal_doubt": re.compile(r"(renewal|renew|contract (ends|is up)|end of (our|the) (contract|term)|"
                                r"reconsider|not sure (we|i)('ll| will)? (stay|continue|renew)|"
                                r"renovación|verlängerung|renouvellement|renovação|rinnovo|verlenging)", _F),
    "price_complaint": re.compile(r"(too expensive|price (increase|hike)|overpriced|can'?t afford|"
                                  r"demasiado caro|zu teuer|trop cher|muito caro|troppo caro|te duur)", _F),
}
UPSELL = {
    "upgrade": re.compile(r"(upgrade|higher (plan|tier)|premium|pro plan|business plan|"
                          r"actualizar (el|mi) plan|mejorar (el|mi) plan|upgraden|passer à l'offre|mudar de plano|piano superiore)", _F),
    "more_seats": re.compile(r"(more (seats|users|licen[cs]es)|add(ing)? (\d+ |more |new )?(seats|users|licen[cs]es)|"
                             r"(growing|expanding) (team|company)|more (storage|capacity|limits?)|higher limits?|"
                             r"más (usuarios|licencias)|mehr (nutzer|lizenzen|plätze)|plus (d'utilisateurs|de licences)|"
                             r"mais (usuários|licenças)|più (utenti|licenze)|meer (gebruikers|licenties))", _F),
    "enterprise": re.compile(r"(enterprise|sso|saml|volume (discount|pricing)|annual (plan|contract|billing)|"
                             r"dedicated (support|account manager)|sla agreement)", _F),
    "pricing_interest": re.compile(r"(pricing|quote|how much (does|would|is)|price list|"
                                   r"precios|presupuesto|preise|angebot|tarifs|devis|preços|orçamento|prezzi|preventivo|prijzen|offerte)", _F),
}


class Signal(BaseModel):
    present: bool
    triggers: dict[str, str] = Field(default_factory=dict)  # signal name -> the phrase that fired
    account_value: Optional[float] = Field(None, description="MRR or account value at stake, when given")


def _fire(patterns: dict, text: str) -> dict[str, str]:
    found = {}
    for name, pattern in patterns.items():
        m = pattern.search(text)
        if m:
            found[name] = " ".join(m.group(0).split())[:80]
    return found


def churn_risk(text: str, mrr: Optional[float] = None) -> Signal:
    triggers = _fire(CHURN, text)
    return Signal(present=bool(triggers), triggers=triggers, account_value=mrr if triggers else None)


def upsell_opportunity(text: str, mrr: Optional[float] = None) -> Signal:
    triggers = _fire(UPSELL, text)
    return Signal(present=bool(triggers), triggers=triggers, account_value=mrr if triggers else None)
