import pytest

from triage.preprocess import clean_ticket, detect_language, truncate_to_tokens
from triage.schema import EmptyTicketError


def test_html_email_becomes_text_and_script_is_dropped():
    raw = "<html><body><p>My <b>invoice</b> is wrong.</p><script>alert('x')</script><br>Thanks</body></html>"
    cleaned = clean_ticket(raw)
    assert cleaned.was_html
    assert "invoice is wrong" in cleaned.text.replace("\n", " ").replace("  ", " ")
    assert "alert" not in cleaned.text and "<" not in cleaned.text


def test_quoted_reply_and_mobile_footer_removed():
    raw = (
        "The export still fails with error 500.\n\nSent from my iPhone\n\n"
        "On Tue, Mar 3, 2026 at 10:00 AM Support <help@example.com> wrote:\n"
        "> Have you tried clearing the cache?\n> Regards"
    )
    cleaned = clean_ticket(raw)
    assert cleaned.text == "The export still fails with error 500."
    assert cleaned.removed_quoted


def test_german_quoted_reply_removed():
    raw = "Die Rechnung ist doppelt.\n\nAm 03.03.2026 um 10:00 schrieb Support <s@example.com>:\n> Hallo"
    assert clean_ticket(raw).text == "Die Rechnung ist doppelt."


@pytest.mark.parametrize("raw", ["", "   \n\t ", "<p> </p>", "\x00\x01\x02"])
def test_empty_tickets_raise_clear_error(raw):
    with pytest.raises(EmptyTicketError, match="empty"):
        clean_ticket(raw)


def test_unicode_and_whitespace_normalised():
    cleaned = clean_ticket("Ｌｏｇｉｎ   fails\u00a0\u00a0on   ﬁrst try\r\n\r\n\r\n\r\nplease help")
    assert cleaned.text == "Login fails on first try\n\nplease help"


def test_binary_junk_is_cleaned_not_crashing():
    junk = bytes(range(256)).decode("latin-1") * 4
    cleaned = clean_ticket(junk)
    assert "\x00" not in cleaned.text


def test_language_detection():
    assert detect_language("My invoice shows a double charge for March, please refund it") == "en"
    assert detect_language("Meine Rechnung zeigt eine doppelte Abbuchung für März") == "de"
    assert detect_language("help") == "unknown"
    assert detect_language("12345 !!!") == "unknown"


def test_truncation_counts_tokens_not_characters():
    tokenize = lambda s: s.split()  # noqa: E731 - a fake word tokenizer
    detokenize = lambda toks: " ".join(toks)  # noqa: E731
    text = " ".join(f"w{i}" for i in range(1000))
    cut, truncated = truncate_to_tokens(text, 10, tokenize, detokenize)
    assert truncated and cut == " ".join(f"w{i}" for i in range(10))
    same, truncated = truncate_to_tokens("short text", 10, tokenize, detokenize)
    assert same == "short text" and not truncated
