"""Turn a raw ticket (web form, chat, HTML or plain-text email) into clean text:
HTML to text with a real parser, quoted replies and signatures removed with
mail-parser-reply, unicode/whitespace normalised, control bytes dropped, language
detected, and truncation by the model's own tokens."""
from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from langdetect import DetectorFactory, LangDetectException, detect
from mailparser_reply import EmailReplyParser

from triage.schema import EmptyTicketError

DetectorFactory.seed = 0  # langdetect is random by default
warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning)

REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]
_reply_parser = EmailReplyParser(languages=REPLY_LANGUAGES)

HTML_TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?\s*>|<!--")
# Control characters (C0/C1 except tab and newline), private-use and replacement chars.
_JUNK_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn"}
MIN_WORDS_FOR_LANGUAGE = 3
MIN_LETTERS_FOR_LANGUAGE = 12
# Characters per token is rarely above ~6 for these tokenizers; cutting the raw text at
# max_tokens * this bound before tokenizing keeps a 1 MB ticket cheap, and the exact cut
# is then made on tokens.
_CHARS_PER_TOKEN_BOUND = 12


@dataclass
class CleanText:
    text: str
    language: str
    was_html: bool
    removed_quoted: bool


def html_to_text(raw: str) -> str:
    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "head", "title", "noscript", "template"]):
        tag.decompose()
    # Quoted history in HTML mail clients
    for tag in soup.select("blockquote, div.gmail_quote, div.yahoo_quoted, #divRplyFwdMsg"):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    return soup.get_text("\n")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _JUNK_CATEGORIES and ch != "\ufffd"
    )
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def strip_reply_chain(text: str) -> tuple[str, bool]:
    """Keep only the newest message, without signature or 'Sent from my…' footer."""
    try:
        replies = _reply_parser.read(text).replies
    except Exception:  # the parser is regex-heavy; never let it lose the ticket
        return text, False
    if not replies:
        return text, False
    latest = (replies[0].body or "").strip()
    if not latest:
        return text, False
    return latest, len(latest) < len(text.strip())


def detect_language(text: str) -> str:
    words = re.findall(r"[^\W\d_]{2,}", text)
    if len(words) < MIN_WORDS_FOR_LANGUAGE or sum(len(w) for w in words) < MIN_LETTERS_FOR_LANGUAGE:
        return "unknown"
    try:
        return detect(" ".join(words[:200]))
    except LangDetectException:
        return "unknown"


def clean_ticket(text: str, subject: str = "", max_chars: int | None = None) -> CleanText:
    """Clean a raw ticket. Raises EmptyTicketError when nothing readable is left."""
    if not isinstance(text, str):
        raise TypeError(f"ticket text must be str, got {type(text).__name__}")
    if max_chars is not None:
        text = text[:max_chars]
    was_html = bool(HTML_TAG_RE.search(text))
    body = html_to_text(text) if was_html else text
    body = normalise(body)
    body, removed_quoted = strip_reply_chain(body) if body else (body, False)
    subject = normalise(html_to_text(subject) if HTML_TAG_RE.search(subject or "") else subject or "")
    combined = f"{subject}\n{body}".strip() if subject and subject not in body else body
    if not re.search(r"\w", combined):
        raise EmptyTicketError("The ticket is empty: no readable text after removing markup and whitespace.")
    return CleanText(combined, detect_language(combined), was_html, removed_quoted)


def truncate_to_tokens(
    text: str,
    max_tokens: int,
    tokenize: Callable[[str], Sequence[int]],
    detokenize: Callable[[Sequence[int]], str],
) -> tuple[str, bool]:
    """Cut text to at most max_tokens of the model's tokens; returns (text, truncated)."""
    head = text[: max_tokens * _CHARS_PER_TOKEN_BOUND]
    tokens = tokenize(head)
    if len(tokens) <= max_tokens and len(head) == len(text):
        return text, False
    if len(tokens) <= max_tokens:
        return head, True
    return detokenize(tokens[:max_tokens]).strip(), True


def is_vague(text: str, max_words: int) -> bool:
    """The one definition of a ticket too short to judge (decide flags it for review, the drafter
    asks for details instead of guessing): at most `max_words` words (Tuning.vague_max_words)."""
    return len(re.findall(r"\w+", text)) <= max_words
