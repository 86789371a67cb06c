"""Secrets: known token formats and passwords/PINs written in clear, in the 7 languages.

Token formats follow the maintained secret scanner detect-secrets 1.5.0 (Apache-2.0:
plugins aws, github_token, stripe, slack, jwt, private_key, basic_auth), plus Google API keys and
"Bearer <token>". Only the regexes are used (its `verify()` calls the network). detect-secrets'
keyword plugin needs quotes or config-file syntax, so it misses "my password is hunter2" in a
ticket; passwords here are found after a cue word ("password", "Passwort", "contraseña", …) and a
verb or colon, and the value is masked only when it looks like a secret (digits, symbols or mixed
case: a plain word such as "wrong" or "reset" is not masked, so is a plain-word password)."""
from __future__ import annotations

import re

from triage.pii.spans import Span

TOKEN_PATTERNS = [
    re.compile(r"\b(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36,}\b"),  # GitHub
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}\b"),
    re.compile(r"\b(?:r|s|p)k_(?:live|test)_[0-9a-zA-Z]{16,}\b"),  # Stripe
    re.compile(r"\bxox(?:a|b|p|o|s|r)-(?:\d+-)+[a-z0-9]+(?:-[a-z0-9]+)*\b", re.IGNORECASE),  # Slack
    re.compile(r"https://hooks\.slack\.com/services/T[a-zA-Z0-9_]+/B[a-zA-Z0-9_]+/[a-zA-Z0-9_]+"),
    re.compile(r"(?<![A-Za-z0-9_=-])eyJ[A-Za-z0-9_=-]+\.eyJ[A-Za-z0-9_=-]+\.[A-Za-z0-9_.+/=-]*"),  # JWT
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),  # Google API key
    re.compile(r"\bglpat-[0-9A-Za-z_-]{20,}\b"),  # GitLab personal access token
    re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b"),  # OpenAI / Anthropic style keys
    re.compile(r"\bnpm_[0-9A-Za-z]{36}\b"),  # npm token
    re.compile(r"-----BEGIN (?:DSA |EC |OPENSSH |RSA |PGP )?PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
               r"(?:-----END (?:DSA |EC |OPENSSH |RSA |PGP )?PRIVATE KEY(?: BLOCK)?-----|$)"),
]
BEARER = re.compile(r"\b(?:Bearer|Token|token)\s+([A-Za-z0-9._~+/=-]{16,})")
BASIC_AUTH_URL = re.compile(r"://[^:/?#\[\]@!$&'()*+,;=\s]+:([^:/?#\[\]@!$&'()*+,;=\s]+)@")
KEY_ASSIGNMENT = re.compile(r"\b(?:api[_ -]?key|api[_ -]?token|access[_ -]?token|secret[_ -]?key|client[_ -]?secret|"
                            r"auth[_ -]?token|secret|token|aws_secret_access_key)\b[ \t]*(?:(?:is|=|:)[ \t]*)?[\"']?"
                            r"([A-Za-z0-9._~+/=-]{20,})", re.IGNORECASE)  # a digit in the value is checked in code

# "<cue> <verb or colon> <value>": cue words and verbs of the 7 languages.
# Bare "code" is not a cue: error, promo, postal and status codes are not secrets.
PASSWORD_CUES = (r"password|passwort|kennwort|passwd|pwd|passcode|contraseña|contrasena|clave|mot de passe|mdp|"
                 r"senha|wachtwoord|pw|pin(?:[ -]?code)?|pincode|geheimzahl|code pin|código pin|codice pin|otp|"
                 r"one[- ]time code|verification code|security code|2fa code|código de verificación|"
                 r"código de verificação|bestätigungscode|sicherheitscode|code de vérification|codice di verifica|"
                 r"verificatiecode|beveiligingscode")
PASSWORD_VERBS = r"(?:is nu|is|was|to|ist|lautet|war|est|était|c'est|es|era|é|è|zijn)(?!\w)|[:=]"
PASSWORD = re.compile(rf"\b(?:{PASSWORD_CUES})\b\s*(?:\([^)]{{0,20}}\)\s*)?(?:(?:{PASSWORD_VERBS})\s*)?[\"'«“]?"
                      rf"(?P<value>[^\s\"'»”]{{3,64}})", re.IGNORECASE)
# "the PIN for the hotline is 7390", "la contraseña y ahora es X": the cue, a few words, then the verb
PASSWORD_FAR = re.compile(rf"\b(?:{PASSWORD_CUES})\b(?:[ ]+[^\s.:;!?]+){{1,6}}?[ ]+(?:{PASSWORD_VERBS})[ ]*[\"'«“]?"
                          rf"(?P<value>[^\s\"'»”]{{3,64}})", re.IGNORECASE)
NOT_SECRETS = {  # words that follow "password is" but are not a password
    "wrong", "incorrect", "invalid", "expired", "not", "too", "being", "still", "correct", "fine", "right", "reset",
    "changed", "required", "missing", "blocked", "locked", "working", "accepted", "the", "my", "your", "a", "an",
    "falsch", "ungültig", "abgelaufen", "nicht", "richtig", "gesperrt", "mein", "meine", "das", "der", "die",
    "faux", "invalide", "expiré", "pas", "bon", "mon", "le", "la", "incorrecto", "incorrecta", "inválida",
    "inválido", "caducada", "no", "mi", "el", "errada", "incorreta", "expirada", "não", "minha", "meu", "sbagliata",
    "errata", "scaduta", "non", "mia", "il", "fout", "onjuist", "verlopen", "niet", "mijn", "het", "de",
    "and", "und", "et", "y", "e", "en", "for", "für", "pour", "para", "per", "voor", "of", "from", "to",
}


def _looks_secret(value: str) -> bool:
    word = value.rstrip(".,;!?)").lower()
    if not word or word in NOT_SECRETS:
        return False
    if re.fullmatch(r"\d{3,12}", word):  # a PIN or code
        return True
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value.rstrip(".,;!?)"))
    mixed = value[1:] != value[1:].lower()
    return has_digit or has_symbol or mixed  # a plain word ("reset", "printed", "corta") is not a secret


def find_secrets(text: str) -> list[Span]:
    spans = []
    for pattern in TOKEN_PATTERNS:
        spans += [Span(m.start(), m.end(), "SECRET") for m in pattern.finditer(text)]
    for pattern in (BEARER, BASIC_AUTH_URL):
        spans += [Span(m.start(1), m.end(1), "SECRET") for m in pattern.finditer(text)]
    spans += [Span(m.start(1), m.end(1), "SECRET") for m in KEY_ASSIGNMENT.finditer(text)
              if any(c.isdigit() for c in m.group(1))]
    for m in [*PASSWORD.finditer(text), *PASSWORD_FAR.finditer(text)]:
        value = m.group("value")
        if _looks_secret(value):
            end = m.end("value") - (len(value) - len(value.rstrip(".,;!?)")))
            spans.append(Span(m.start("value"), end, "SECRET"))
    return spans
