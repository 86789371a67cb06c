from triage.pii import iban_valid, luhn_valid, mask_pii


def test_luhn_and_iban_checksums():
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00")
    assert not iban_valid("DE89 3704 0044 0532 0130 01")


def test_masks_valid_card_but_not_order_number():
    text, report = mask_pii("Card 4111 1111 1111 1111 was charged, order 1234567812345678.")
    assert "[CARD]" in text and "4111" not in text
    assert "1234567812345678" in text  # fails Luhn: an order number, kept
    assert report.counts == {"CARD": 1}


def test_masks_iban_email_ssn_phone():
    raw = (
        "Refund to DE89370400440532013000 please, mail me at jane.doe+x@example.co.uk "
        "or call +1 (415) 555-2671. SSN 123-45-6789."
    )
    text, report = mask_pii(raw)
    for secret in ("DE8937", "jane.doe", "555-2671", "123-45-6789"):
        assert secret not in text
    assert report.counts == {"IBAN": 1, "EMAIL": 1, "PHONE": 1, "SSN": 1}
    assert "[IBAN]" in text and "[EMAIL]" in text and "[PHONE]" in text and "[SSN]" in text


def test_invalid_iban_and_amounts_survive():
    text, report = mask_pii("Invoice INV-2024-0042 for $1,299.00, ref GB00 0000 0000 0000 0000 00")
    assert "$1,299.00" in text and "INV-2024-0042" in text
    assert "IBAN" not in report.counts


def test_national_phone_uses_language_region():
    text, report = mask_pii("Rufen Sie mich an: 030 12345678", language="de")
    assert "[PHONE]" in text
    assert report.counts["PHONE"] == 1
