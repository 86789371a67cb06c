"""Numbers and identifiers that are personal data: e-mail, card, IBAN, SSN, national and tax IDs,
passport numbers, IP addresses, dates of birth, phones.

Checksummed identifiers are validated with python-stdnum (IBAN mod-97, Spanish DNI/NIE, French
NIR, Italian codice fiscale, Dutch BSN, Brazilian CPF, Portuguese NIF, German Steuer-IdNr, US SSN);
formats too plain to stand alone (9 or 11 bare digits) also need a cue word nearby, so order
numbers survive. Passports and dates of birth are found after their cue words."""
from __future__ import annotations

import ipaddress
import re

import phonenumbers
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.br import cpf
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.pt import cc, nif
from stdnum.us import ssn

from triage.pii.spans import Span

EMAIL_RE = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
IBAN_CANDIDATE = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ -]{0,2}[A-Za-z0-9]){11,30}")
CARD_RE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
SSN_RE = re.compile(r"(?<![\d-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\d-])")
SSN_CUE = re.compile(r"\b(?:ssn|social security(?: number| no\.?)?|soc\.? sec\.?)\b", re.IGNORECASE)
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)")  # a sentence may end right after it
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{1,4})*(?![\w:])")

# Region used to parse phone numbers written without a country code, by ticket language.
LANGUAGE_REGIONS = {"en": "US", "de": "DE", "fr": "FR", "es": "ES", "pt": "PT", "it": "IT", "nl": "NL"}
# Local formats of other regions customers write in any language (a UK mobile in an English ticket),
# and the neighbours sharing the ticket's language (a Belgian number in Dutch, a Brazilian one in Portuguese).
EXTRA_PHONE_REGIONS = ("GB", "US")
SAME_LANGUAGE_REGIONS = {"en": ("IE", "AU", "CA"), "de": ("AT", "CH"), "fr": ("BE", "CH", "CA"), "nl": ("BE",),
                         "pt": ("BR",), "es": ("MX", "AR"), "it": ("CH",)}
PHONE_CANDIDATE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d ().\-/]{5,20}\d(?![\w])")
PHONE_CUE = re.compile(r"\b(?:call|phone|tel|telephone|mobile|cell|ring|whats ?app|sms|text me|number|reach me|"
                       r"telefon\w*|handy|anruf\w*|rufen|téléphone|tél|portable|appel\w*|joindre|teléfono|telefono|"
                       r"móvil|movil|llám\w*|llam\w*|telefone|celular|telemóvel|ligue|cellulare|chiam\w*|telefoon|"
                       r"mobiel|bel)\b", re.IGNORECASE)
REFERENCE_CUE = re.compile(r"\b(?:order|invoice|ticket|ref|reference|tracking|case|account|customer|bestell\w*|"
                           r"rechnung|kunden\w*|auftrag|pedido|factura|fatura|commande|facture|dossier|encomenda|ordine|"
                           r"fattura|pratica|bestelling|factuur|klant|zaak|nr|no|n[º°])\b\.?|#", re.IGNORECASE)
NUMERIC_DATE = re.compile(r"^\d{1,4}([./-])\d{1,2}\1\d{1,4}(?:[ T]\d{1,2})?$")  # a date, maybe an hour after it
YEAR_PREFIXED = re.compile(r"^(?:19|20)\d{2}[-/.]\d{4,}$")  # 2024-118734: a reference, not a phone

# (validator, candidate pattern, cue needed within CUE_WINDOW chars before it)
NATIONAL_IDS = [
    (dni.is_valid, re.compile(r"(?<![\w-])\d{8}[- ]?[A-Za-z](?!\w)"), None),
    (nie.is_valid, re.compile(r"(?<![\w-])[XYZxyz][- ]?\d{7}[- ]?[A-Za-z](?!\w)"), None),
    (codicefiscale.is_valid, re.compile(r"(?<!\w)[A-Za-z]{6}\d{2}[A-Za-z]\d{2}[A-Za-z]\d{3}[A-Za-z](?!\w)"), None),
    (nir.is_valid, re.compile(r"(?<![\d])[12][ ]?\d{2}[ ]?\d{2}[ ]?(?:\d{2}|2[AB])[ ]?\d{3}[ ]?\d{3}[ ]?\d{2}(?!\d)"), None),
    (cpf.is_valid, re.compile(r"(?<![\d.])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\d])"), None),
    (cpf.is_valid, re.compile(r"(?<![\d.-])\d{11}(?![\d-])"), re.compile(r"\bcpf\b", re.I)),
    (idnr.is_valid, re.compile(r"(?<![\d])\d{2}[ ]?\d{3}[ ]?\d{3}[ ]?\d{3}(?!\d)"),
     re.compile(r"steuer[- ]?(?:id|identifikationsnummer)|\bidnr\b|identifikationsnummer|tax id|\btin\b", re.I)),
    (bsn.is_valid, re.compile(r"(?<![\d.-])\d{4}\.?\d{2}\.?\d{3}(?![\d-])|(?<![\d.-])\d{9}(?![\d-])"),
     re.compile(r"\bbsn\b|burgerservicenummer|sofinummer", re.I)),
    (cc.is_valid, re.compile(r"(?<![\w])\d{8}[ ]?\d[ ]?[A-Za-z]{2}\d(?!\w)"), None),  # Cartão de Cidadão
    (nif.is_valid, re.compile(r"(?<![\d.-])\d{3}[ ]?\d{3}[ ]?\d{3}(?![\d-])"),
     re.compile(r"\bnif\b|contribuinte|\bnipc\b", re.I)),
]
NINO = re.compile(r"(?<!\w)(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?!\w)")
CUE_WINDOW = 40

PASSPORT = re.compile(r"\b(?:passport|reisepass|pass(?:nummer|nr)|pasaporte|passeport|passaporto|passaporte|paspoort)"
                      r"(?:nummer|nr|number|no|n[º°])?\b[^\n\d]{0,50}?"
                      r"(?P<value>(?-i:(?=[A-Z0-9 ]{0,10}\d)[A-Z0-9]{2}[ ]?[A-Z0-9]{4,8}))(?![\w])", re.IGNORECASE)

MONTHS = (r"jan(?:uary|vier|eiro|uari)?|feb(?:ruary|rero|ruar|braio|ruari)?|f[ée]v(?:rier)?|mar(?:ch|zo|ço|s)?|"
          r"m[äa]rz|maart|apr(?:il|ile)?|abr(?:il)?|avr(?:il)?|ma[yi]o?|mai|mei|jun[ei]?o?|juin|giugno|jul[yi]?o?|"
          r"juil(?:let)?|luglio|aug(?:ust|ustus)?|ago(?:sto)?|ao[uû]t|sep(?:t|tember|tiembre|tembre|tembro)?|"
          r"set(?:embro|tembre)?|oct(?:ober|ubre|obre)?|okt(?:ober)?|out(?:ubro)?|ott(?:obre)?|nov(?:ember|iembre|embre|embro)?|"
          r"dec(?:ember|embre)?|dez(?:ember|embro)?|dic(?:iembre|embre)?|d[ée]c(?:embre)?|gen(?:naio)?|lug|mag|giu|ene(?:ro)?")
DATE = (rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}|"
        rf"\d{{1,2}}(?:st|nd|rd|th|er|º)?\.?\s+(?:de\s+)?(?:{MONTHS})\.?,?\s+(?:de\s+)?\d{{4}}|"
        rf"(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|"
        rf"\d{{1,2}}\s+(?:{MONTHS})\.?\s+'?\d{{2}})")
DOB = re.compile(rf"\b(?:date of birth|d\.?o\.?b\.?|born on|born in|birth ?date|birthday|geburtsdatum|geboren(?: am)?|"
                 rf"geb\.(?: am)?|fecha de nacimiento|nacid[oa](?: el)?|date de naissance|née?(?: le)?|data de nascimento|"
                 rf"nascid[oa](?: em)?|data di nascita|nat[oa](?: il)?|geboortedatum|geboren op)(?!\w)[^\n\d]{{0,50}}?"
                 rf"(?P<value>{DATE})", re.IGNORECASE)


def iban_valid(candidate: str) -> bool:
    return std_iban.is_valid(candidate)


def luhn_valid(digits: str) -> bool:
    return luhn.is_valid(digits)


def _iban_spans(text: str) -> list[Span]:
    """The longest prefix of each candidate that is a valid IBAN: 'GB82 WEST … 32 BIC' keeps the BIC
    out, and a lower-case IBAN counts too."""
    spans = []
    for m in IBAN_CANDIDATE.finditer(text):
        raw = m.group(0)
        for end in range(len(raw), 14, -1):
            if raw[end - 1] not in " -" and std_iban.is_valid(raw[:end]):
                spans.append(Span(m.start(), m.start() + end, "IBAN"))
                break
    return spans


def _cue_before(text: str, start: int, cue: re.Pattern | None) -> bool:
    return cue is None or bool(cue.search(text[max(0, start - CUE_WINDOW): start]))


def _national_id_spans(text: str) -> list[Span]:
    spans = []
    for valid, pattern, cue in NATIONAL_IDS:
        for m in pattern.finditer(text):
            if _cue_before(text, m.start(), cue) and valid(m.group(0)):
                spans.append(Span(m.start(), m.end(), "NATIONAL_ID"))
    spans += [Span(m.start(), m.end(), "NATIONAL_ID") for m in NINO.finditer(text)]
    return spans


def _ssn_spans(text: str) -> list[Span]:
    spans = []
    for m in SSN_RE.finditer(text):
        cued = _cue_before(text, m.start(), SSN_CUE)
        # with dashes/spaces a valid SSN stands alone; nine bare digits need "SSN" before them
        if (cued and (m.group(2) or ssn.is_valid(m.group(0)))) or (m.group(2) == "-" and ssn.is_valid(m.group(0))):
            spans.append(Span(m.start(), m.end(), "SSN"))
    return spans


def _ip_spans(text: str) -> list[Span]:
    spans = []
    for pattern in (IPV4, IPV6):
        for m in pattern.finditer(text):
            try:
                ipaddress.ip_address(m.group(0))
            except ValueError:
                continue
            spans.append(Span(m.start(), m.end(), "IP"))
    return spans


def _is_version(raw: str) -> bool:
    """Dotted numbers that are versions or builds (2.14.3.1107, 22631.3296), not phones written with
    dots (06.12.34.56.78, 415.555.2671)."""
    if not re.fullmatch(r"\d+(?:\.\d+)+", raw):
        return False
    lengths = [len(g) for g in raw.split(".")]
    return not (all(n == 2 for n in lengths) or lengths == [3, 3, 4])


def _phone_spans(text: str, language: str | None) -> list[Span]:
    """Digit runs that phonenumbers accepts as a valid number: of the ticket's region, or the UK's
    or the US's (customers write local formats of other countries), or of any region when written
    internationally (+44 …, 0049 …). Year-prefixed references and runs glued to a letter, '#' or
    '-' (INV-2024-000318, #2024118734) are references, not phones."""
    language = (language or "").lower()
    regions = list(dict.fromkeys([LANGUAGE_REGIONS.get(language, "US"), *EXTRA_PHONE_REGIONS,
                                  *SAME_LANGUAGE_REGIONS.get(language, ())]))
    spans = []
    for m in PHONE_CANDIDATE.finditer(text):
        raw = m.group(0).rstrip(" .-/")
        before = text[max(0, m.start() - 1): m.start()]
        digits = re.sub(r"\D", "", raw)
        if (not 7 <= len(digits) <= 15 or YEAR_PREFIXED.match(raw) or NUMERIC_DATE.match(raw) or _is_version(raw)
                or (before and (before.isalnum() or before in "#-/_"))):
            continue
        window = text[max(0, m.start() - CUE_WINDOW): m.start()]
        if REFERENCE_CUE.search(window[-20:]):
            continue  # "order 2024118734", "Rechnung Nr. 0301234567"
        if raw.isdigit() and not raw.startswith("0") and not PHONE_CUE.search(window):
            continue  # a bare run like 1234567890 is a phone only after "call", "tel", "Handy", …
        for region in regions:
            try:
                number = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                spans.append(Span(m.start(), m.start() + len(raw), "PHONE"))
                break
    return spans


def find_numbers(text: str, language: str | None = None) -> list[Span]:
    spans = [Span(m.start(), m.end(), "EMAIL") for m in EMAIL_RE.finditer(text)]
    spans += _iban_spans(text)
    spans += [Span(m.start(), m.end(), "CARD") for m in CARD_RE.finditer(text)
              if 13 <= len(re.sub(r"\D", "", m.group(0))) <= 19 and luhn.is_valid(re.sub(r"\D", "", m.group(0)))]
    spans += _ssn_spans(text)
    spans += _national_id_spans(text)
    spans += [Span(m.start("value"), m.end("value"), "PASSPORT") for m in PASSPORT.finditer(text)]
    spans += [Span(m.start("value"), m.end("value"), "DOB") for m in DOB.finditer(text)]
    spans += _ip_spans(text)
    spans += _phone_spans(text, language)
    return spans
