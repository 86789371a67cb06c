"""Personal data and secrets: detection (numbers, secrets, names and addresses) and the one masking path."""
from triage.pii.mask import PII_TYPES, Masker, PIIConfigError, find_pii, mask_pii
from triage.pii.numbers import EMAIL_RE, LANGUAGE_REGIONS, iban_valid, luhn_valid

__all__ = ["EMAIL_RE", "LANGUAGE_REGIONS", "Masker", "PII_TYPES", "PIIConfigError", "find_pii", "iban_valid", "luhn_valid",
           "mask_pii"]
