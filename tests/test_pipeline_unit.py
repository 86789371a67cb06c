import pytest

from tests.fakes import FakeLLM
from triage.config import Settings
from triage.wiring import build_triager
from triage.schema import EmptyTicketError, Ticket


@pytest.fixture
def triager():
    return build_triager(Settings(max_ticket_tokens=50), mode="llm", llm=FakeLLM())


def test_pii_never_reaches_the_model(triager):
    result = triager.run("Refund card 4111 1111 1111 1111 and mail jane@example.com please, thanks a lot")
    assert "[CARD]" in result.masked_text and "[EMAIL]" in result.masked_text
    assert result.pii.counts == {"CARD": 1, "EMAIL": 1}
    assert not any("4111" in p or "jane@" in p for p in triager.llm.prompts)


def test_empty_ticket_is_a_clear_error_without_model_call(triager):
    with pytest.raises(EmptyTicketError):
        triager.run(Ticket(text="  \n "))
    assert triager.llm.prompts == []


def test_huge_ticket_is_truncated_by_tokens(triager):
    result = triager.run("word " * 250_000)  # ~1.25 MB
    assert result.truncated
    assert len(result.masked_text.split()) == 50


def test_stages_are_timed_and_subject_is_used(triager):
    result = triager.run(Ticket(text="The export button does nothing", subject="Export broken", id="T-1"))
    assert [t.name for t in result.timings] == ["preprocess", "pii", "truncate", "classify", "signals+routing"]
    assert result.ticket_id == "T-1" and result.masked_text.startswith("Export broken")


def test_script_is_removed_from_html(triager):
    result = triager.run("<p>Hello</p><script>alert('x')</script><p>my login fails</p>")
    assert "alert" not in result.masked_text and "login fails" in result.masked_text
