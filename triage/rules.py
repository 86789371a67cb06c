"""Deterministic urgency and feature-request signals, in the languages the product supports
(en, es, de, fr, pt, it, nl). Each rule has a name so the result can say what fired."""
from __future__ import annotations

import re

_F = re.IGNORECASE | re.UNICODE
W = r"[\s\S]{0,40}?"  # a short gap, across line breaks

P1_RULES: dict[str, re.Pattern] = {
    "outage": re.compile(
        r"\b(outage|(is|are|went|gone|been) (completely |totally |all )?(down|offline|unreachable)\b|"
        r"down for (everyone|all|every)|(site|website|app|service|platform|api|system|server|network|"
        r"internet|dashboard|checkout|everything)\s+(is |are |has been |went )?(completely |totally )?(down|offline)\b|"
        r"(5\d\d|503|502) (errors? )?(for|on) (all|every)|no (internet|service|signal|connection) (at all|since|for)|"
        r"sin servicio|servicio caído|(está|están) caíd[oa]s?|ausfall|störung|ist (komplett )?(down|offline)|"
        r"geht (gar )?nichts mehr|en panne|hors service|panne générale|fora do ar|sem serviço|"
        r"fuori servizio|non funziona (più )?niente|disservizio|storing|ligt (er )?(helemaal )?plat|werkt niets meer)", _F),
    "data_loss": re.compile(
        r"(data|files|records|orders|contacts|history|database|emails|photos|documents)\s+(is |are |were |was |has been |have been )?"
        r"(all )?(lost|gone|deleted|wiped|disappeared|missing)|(lost|deleted|wiped) (all|every)|data loss|"
        r"datos (perdidos|borrados)|(hemos|he) perdido|daten (sind |wurden )?(weg|verloren|gelöscht)|datenverlust|"
        r"données (perdues|effacées|supprimées)|perte de données|dados (perdidos|apagados)|perdemos|"
        r"dati (persi|cancellati)|perdita di dati|gegevens (kwijt|verloren|gewist)|dataverlies", _F),
    "security": re.compile(
        r"\b(hacked|compromised|breach|unauthori[sz]ed (access|login|log-in|transactions?|charges?|payments?|transfers?)|"
        r"someone (else )?(logged|got|has) (in|into|access)|i did ?n[o']t (make|authori[sz]e)|sim[- ]?swap|"
        r"account (was |has been )?taken over|phishing|fraudulent (charges?|transactions?)|"
        r"hackead[oa]|gehackt|piraté|hackerad[oa]|violazione|accesso non autorizzato|"
        r"acceso no autorizado|accès non autorisé|acesso não autorizado|onbevoegde toegang|betrugs?|fraude)", _F),
    "organisation_blocked": re.compile(
        r"((whole|entire|all( of)?( our| the)?) (team|company|organi[sz]ation|staff|office|users|employees|"
        r"customers|agents|stores?|branches)\s+(is |are )?(blocked|down|locked out|unable|can'?t|cannot)|"
        r"(nobody|no one|none of (us|our \w+)) (can|is able to) (log ?in|work|access|pay|use)|"
        r"can'?t (process|take|accept) any (payments|orders|cards)|payments? (are |is )?(completely |all )?failing|"
        r"payroll (failed|did ?n[o']t run|is failing)|production (is )?(down|blocked|stopped)|"
        r"niemand kann|nadie puede|personne ne peut|ninguém consegue|nessuno può|niemand kan)", _F),
}

FEATURE_REQUEST_RULE = re.compile(
    r"(feature request|would (be|love) (great|nice|awesome|helpful)|it would be (great|nice|helpful)|"
    r"(could|can|would) you (please )?(add|support|consider|build|implement|make)|please add|any plans? to|"
    r"do you plan to|wish(list| list)?|suggestion:|i'?d love (to see|if)|please bring back|"
    r"sería (genial|útil)|podrían añadir|würde mich freuen|wäre (toll|schön|super|hilfreich)|bitte .{0,30}hinzufügen|"
    r"ce serait (génial|bien|top)|pourriez-vous ajouter|seria (ótimo|bom)|poderiam adicionar|"
    r"sarebbe (utile|bello|fantastico)|potreste aggiungere|zou (fijn|handig|mooi) zijn|kunnen jullie .{0,30}toevoegen)",
    _F,
)


def p1_signals(text: str) -> list[str]:
    return [name for name, pattern in P1_RULES.items() if pattern.search(text)]


def is_feature_request_phrasing(text: str) -> bool:
    return bool(FEATURE_REQUEST_RULE.search(text))
