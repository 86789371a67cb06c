"""Person names and street addresses, from cues in the 7 languages.

Names: introductions ("my name is", "je m'appelle", "mein Name ist", …), titles (Mr, Frau, Mme,
Sr., Sig.ra, Dhr., …), and sign-offs ("Regards,", "Mit freundlichen Grüßen", "Cordialement", …)
followed by one to three capitalised words. Addresses: a street-type word with a house number in
each country's own order ("12 rue de la Paix", "Hauptstraße 5", "Calle Mayor 12", "221B Baker
Street"), extended over a following postcode and city.

Why cues and not a NER model: spaCy's small pipelines install from PyPI only for French (and a
third-party English copy); none for de/es/pt/it/nl, and the product must work offline after
`pip install`. Names without any cue ("tell Maria") are missed; see the README's PII table."""
from __future__ import annotations

import re

from triage.pii.spans import Span

# A capitalised word of any script ("Strauß", "Dvořák", "Nguyễn"), apostrophes and hyphens inside.
NAME_WORD = r"(?-i:(?=[^\W\d_])(?=\w)[^\W\d_a-zß-ÿ][^\W\d_]*(?:['’-][^\W\d_]+)*)(?![\w])"
PARTICLE = r"(?:van der|van den|van de|van|von|de la|de los|del|de|da|dos|das|di|du|le|la|ter|ten|mc|o')"
NAME = rf"{NAME_WORD}(?:[ ]+(?:(?-i:{PARTICLE})[ ]+)?{NAME_WORD}){{0,2}}"
INTRO = (r"hi|hello|hey|dear|hallo|liebe|lieber|sehr geehrte|sehr geehrter|bonjour|cher|chère|hola|estimado|estimada|"
         r"olá|ola|prezado|prezada|caro|cara|gentile|ciao|beste|geachte|"  # greetings: "Hi Grace," in a reply
         r"my name is|my name's|this is|i am|i'm|me llamo|mi nombre es|soy|mein name ist|ich heiße|"
         r"ich heisse|je m'appelle|je m’appelle|mon nom est|je suis|meu nome é|me chamo|chamo-me|sou o|sou a|"
         r"mi chiamo|il mio nome è|sono|mijn naam is|ik heet|ik ben|"
         # name fields: "legal name X", "Name on the booking is X", "nombre completo X", "Naam: X"
         r"(?:full |legal |account |customer |card ?holder |holder )?name(?: on (?:the |my )?\w+)?(?: is| was)?:?|"
         r"(?:vollständiger |vollstaendiger )?name(?: lautet)?:?|nombre(?: completo)?(?: es)?:?|"
         r"nom(?: complet)?(?: est)?:?|nome(?: completo)?(?: é| è)?:?|naam(?: is)?:?|titular:?|"
         # who the customer writes about: "my father, X", "meine Tochter X", "contact X on …"
         r"(?:my|our) (?:father|mother|dad|mum|mom|wife|husband|partner|son|daughter|brother|sister|tenant|employee|"
         r"colleague|client|manager|boss),?|on behalf of|contact|record for|"
         r"(?:mein|meine|meinem|meiner) (?:vater|mutter|frau|mann|sohn|tochter|bruder|schwester|kollege|kollegin|mieter),?|"
         r"ansprechpartner(?:in)?(?: ist)?:?|kontakt:?|"
         r"(?:mon|ma) (?:père|mère|femme|mari|fils|fille|frère|sœur|collègue|locataire),?|contactez|"
         r"(?:mi|mis) (?:padre|madre|esposa|esposo|marido|mujer|hijo|hija|hermano|hermana|compañero|compañera|inquilino),?|"
         r"(?:o meu|a minha|meu|minha) (?:pai|mãe|esposa|marido|mulher|filho|filha|irmão|irmã|colega|inquilino),?|"
         r"(?:mio|mia) (?:padre|madre|moglie|marito|figlio|figlia|fratello|sorella|collega|inquilino),?|"
         r"(?:mijn) (?:vader|moeder|vrouw|man|zoon|dochter|broer|zus|collega|huurder),?|contactpersoon(?: is)?:?")
# Titles as written (case kept: "MS Teams" and "9 a.m." are not titles).
TITLE = (r"(?-i:Mr|Mrs|Ms|Miss|Dr|Herr|Frau|M|Mme|Mlle|Monsieur|Madame|Sr|Sra|Srta|Don|Doña|Sig|Sig\.ra|Signor|"
         r"Signora|Dott|Dhr|Mevr|Meneer|Mevrouw)\.?")
SIGN_OFF = (r"regards|kind regards|thx|ta|hoogachtend|salutations distinguées|mes salutations distinguées|"
            r"com os melhores cumprimentos|melhores cumprimentos|os meus cumprimentos|un cordiale saluto|"
            r"best regards|best wishes|best|thanks|thank you|many thanks|cheers|sincerely|"
            r"yours sincerely|yours faithfully|mit freundlichen grüßen|mit freundlichen grüssen|viele grüße|"
            r"beste grüße|liebe grüße|grüße|gruß|danke|cordialement|bien à vous|bien cordialement|salutations|merci|"
            r"atentamente|saludos|un saludo|saludos cordiales|gracias|atenciosamente|cumprimentos|abraços|"
            r"obrigad[oa]|cordiali saluti|distinti saluti|saluti|grazie|met vriendelijke groet(?:en)?|"
            r"vriendelijke groet(?:en)?|groeten|groet|bedankt|mvg")
INTRO_RE = re.compile(rf"\b(?:{INTRO})\s+(?P<name>{NAME})", re.IGNORECASE)
TITLE_RE = re.compile(rf"(?<!\w)(?:{TITLE})\s+(?P<name>{NAME})", re.IGNORECASE)
SIGN_OFF_RE = re.compile(rf"(?:^|\n|[.!][ \t])[ \t]*(?:{SIGN_OFF})[ \t]*[,.!:\-–—]?[ \t]*\n?[ \t]*(?P<name>{NAME})[ \t]*(?:\n|$)",
                         re.IGNORECASE)
# Capitalised words after an intro that are not names ("I'm Unable", "Ich bin Kunde", "this is Urgent").
NOT_NAMES = {
    "unable", "not", "very", "so", "still", "really", "sorry", "happy", "writing", "trying", "going", "urgent",
    "the", "a", "an", "your", "my", "our", "customer", "client", "cliente", "kunde", "klant", "team", "support",
    "there", "all", "everyone", "again", "also", "just", "here", "now", "today", "from", "with", "in", "at",
    "hello", "hi", "hey", "dear", "thanks", "thank", "please", "regards", "best", "ich", "je", "yo", "eu", "io", "ik",
    "premium", "pro", "business", "enterprise", "free", "admin", "owner", "user", "manager", "january",
    "sir", "madam", "folks", "guys", "friends", "frau", "herr", "monsieur", "madame", "señor", "señora", "signor",
    "signora", "heer", "mevrouw", "damen", "herren", "equipo", "équipe", "equipe", "servizio", "klantenservice",
    "kundenservice", "service", "morning", "afternoon", "evening", "everybody", "kundendienst", "soporte",
    "suporte", "atendimento", "assistenza", "billing", "sales", "ihr", "ihre", "l'équipe", "grüße", "critical",
    "getting", "très", "stati", "important", "unacceptable", "ridiculous", "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday", "sunday", "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "lundi",
    "mardi", "lunes", "martes", "segunda", "lunedì", "maandag", "helpdesk", "help", "desk", "administración",
}
STREET_AFTER = (r"street|st\.?|road|rd\.?|avenue|ave\.?|lane|ln\.?|drive|dr\.?|boulevard|blvd\.?|court|ct\.?|way|"
                r"place|pl\.?|terrace|close|crescent|square|sq\.?|parkway|pkwy\.?|highway|hwy\.?|row|gardens|grove|hill|"
                r"park|market|walk|mews|rise|green|quay|parade|circle|cir\.?|trail|view|wharf|"
                r"straße|strasse|str\.|weg|allee|platz|gasse|straat|laan|plein|gracht|kade|singel")
# Street types written before the name, capitalised as in an address ("Via Roma 10"; "paid via PayPal
# 3 times" is not one).
STREET_BEFORE = (r"(?-i:Calle|C/|Avenida|Avda\.?|Av\.|Paseo|Plaza|Camino|Carrer|Carretera|Ronda|Rua|R\.|Travessa|"
                 r"Praça|Largo|Alameda|Estrada|Via|Viale|Piazza|Corso|Vicolo|Piazzale|Rue|Avenue|Boulevard|Bd\.?|"
                 r"Chemin|Allée|Impasse|Quai|Place|Route|Cours)")
DE_NL_STREET = r"straße|strasse|str\.|allee|gasse|chaussee|straat|laan|gracht|kade|singel|dijk|steeg"
DE_NL_WEAK = r"weg|platz|ring|damm|ufer|plein|markt"  # also ends of ordinary words (Parkplatz, Spring)
SINGLE_PARTICLES = r"(?:van|von|der|den|de|la|los|las|del|da|dos|das|di|du|le|ter|ten|dei|della|delle|degli|des|do)"
POSTCODE = (r"(?:\d{4,5}(?:-\d{3})?|\d{4}[ ]?[A-Z]{2}|[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}|[A-Z]{2}[ ]\d{5})"
            r"(?:[ ]+[A-ZÀ-Þ][\w'’-]+(?:[ ]+[A-ZÀ-Þ][\w'’-]+){0,2})?")
POSTCODE_CITY = rf"(?:,?[ ]*{POSTCODE})?"
CITY_THEN_POSTCODE = r"(?:,[ ]*[A-ZÀ-Þ][\w'’-]+(?:[ ]+[A-ZÀ-Þ][\w'’-]+){0,2}(?:,[ ]*[A-Z]{2})?[ ]+(?:\d{5}|[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}))?"
ADDRESS_RES = [
    # 221B Baker Street, London NW1 6XE / 1600 Pennsylvania Avenue NW, Washington, DC 20500
    re.compile(rf"(?<![\w.,])\d{{1,5}}[A-Za-z]?,?[ ]+(?:[A-Z][\w'’-]+[ ]+){{1,3}}(?i:{STREET_AFTER})(?![\w])(?:[ ]+[NSEW]{{1,2}}\b)?(?=[ ]*(?:[,.\n]|$))"
               rf"(?:,[ ]*(?:suite|unit|apt\.?|flat|floor)[ ]+\w+)?{CITY_THEN_POSTCODE}"),
    # Mariahilfer Straße 88/12, 1070 Wien / Unter den Linden 77: street words, a street type word, the number
    re.compile(rf"(?<![\w])(?:[A-ZÄÖÜ][\w'’-]+[ ]+){{1,3}}(?i:straße|strasse|str\.|weg|allee|platz|gasse|straat|laan|plein)"
               rf"[ ]+\d{{1,4}}[A-Za-z]?(?:/\d+)?{POSTCODE_CITY}"),
    # 12 rue de la Paix, 75002 Paris / Calle Mayor 12, 28013 Madrid / Via Roma 10 / Rua Augusta 100, 1100-053 Lisboa
    re.compile(rf"(?<![\w]){STREET_BEFORE}[ ]+(?:{SINGLE_PARTICLES}[ ]+){{0,4}}"
               rf"(?-i:[A-ZÀ-Þ0-9])[\w'’.-]*(?:[ ]+[\w'’.-]+){{0,4}}?"
               rf",?[ ]+(?:n\.?º?[ ]?)?\d{{1,4}}[A-Za-z]?(?!\d)(?:[ ]?[-/][ ]?\d+[º°]?[A-Za-z]?)?"
               rf"(?=[ ]*(?:[,.\n]|$|\d{{4}}))"
               rf"{POSTCODE_CITY}", re.IGNORECASE),
    re.compile(rf"(?<![\w])\d{{1,4}}(?:[ ]?(?:bis|ter))?,?[ ]+(?:rue|avenue|boulevard|bd\.?|chemin|allée|impasse|quai|place|route|cours)"
               rf"[ ]+(?:(?:de|du|des|la|le|l')[ ]*){{0,3}}(?-i:[A-ZÀ-Þ])[^,\n\d.]{{1,40}}?(?=[,\n.]|$){POSTCODE_CITY}", re.IGNORECASE),
    # Hauptstraße 5, 10115 Berlin / Kerkstraat 12, 1017 GC Amsterdam; "Parkplatz 12" or "Spring 2024" only with a postcode
    re.compile(rf"(?<![\w])[A-ZÄÖÜ][\w'’-]*(?:{DE_NL_STREET})[ ]+\d{{1,4}}[A-Za-z]?(?:[ ]?-[ ]?\d+)?{POSTCODE_CITY}"),
    re.compile(rf"(?<![\w])[A-ZÄÖÜ][\w'’-]*(?:{DE_NL_WEAK})[ ]+\d{{1,4}}[A-Za-z]?,?[ ]*{POSTCODE}"),
]


PARTICLES = {"van", "der", "den", "de", "la", "los", "del", "da", "dos", "das", "di", "du", "le", "ter", "ten", "von"}


def _name_words(candidate: str) -> str:
    """The leading run of capitalised words (particles allowed inside): 'Anna van der Berg and I' -> 'Anna van der Berg'."""
    kept = []
    for word in candidate.split():
        if word[:1].isupper() and word.lower().strip("'’-") not in NOT_NAMES:
            kept.append(word)
        elif kept and word.lower() in PARTICLES:
            kept.append(word)
        else:
            break
    while kept and kept[-1].lower() in PARTICLES:
        kept.pop()
    return " ".join(kept)


def _name_spans(text: str) -> list[Span]:
    spans = []
    for pattern in (INTRO_RE, TITLE_RE, SIGN_OFF_RE):
        for m in pattern.finditer(text):
            name = _name_words(m.group("name"))
            if name and m.group("name").startswith(name):
                spans.append(Span(m.start("name"), m.start("name") + len(name), "PERSON"))
    return spans


def _address_spans(text: str) -> list[Span]:
    spans = []
    for pattern in ADDRESS_RES:
        for m in pattern.finditer(text):
            value = m.group(0).rstrip(" ,.")
            if re.search(r"\d", value):
                spans.append(Span(m.start(), m.start() + len(value), "ADDRESS"))
    return spans


# A message's last line that is only a name ("…\nKwame Asante").
SIGNATURE_LINE = re.compile(rf"\n[ \t]*(?P<name>{NAME})[ \t]*\.?[ \t\n]*$")


def _signature_spans(text: str) -> list[Span]:
    m = SIGNATURE_LINE.search(text)
    if not m:
        return []
    name = _name_words(m.group("name"))
    # two to four words, each capitalised (a lone word could be a product or a city)
    if name != m.group("name") or not 2 <= len(name.split()) <= 4:
        return []
    return [Span(m.start("name"), m.end("name"), "PERSON")]


def find_names_and_addresses(text: str) -> list[Span]:
    return _name_spans(text) + _signature_spans(text) + _address_spans(text)
