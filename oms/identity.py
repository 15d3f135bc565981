"""Normalising the identities a customer shows us: the keys of the single customer view."""

from __future__ import annotations

import email_validator
import phonenumbers

from core.errors import InvalidInput

DEFAULT_REGION = "US"


def normalise_email(raw: str | None, *, field: str = "customer.email") -> str | None:
    """Lower-cased, syntax-checked address, or None when absent. Mailbox providers treat the
    local part case-insensitively in practice, so matching does too."""
    if raw is None or not raw.strip():
        return None
    try:
        valid = email_validator.validate_email(raw.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise InvalidInput(field, str(exc)) from None
    return valid.normalized.lower()


def normalise_phone(raw: str | None, *, region: str | None = None,
                    field: str = "customer.phone") -> str | None:
    """E.164 ("+14155550132") from whatever the customer typed, or None when absent."""
    if raw is None or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw.strip(), (region or DEFAULT_REGION).upper())
    except phonenumbers.NumberParseException:
        raise InvalidInput(field, f"'{raw}' is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidInput(field, f"'{raw}' is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_search_key(raw: str, region: str | None = None) -> str | None:
    """A phone typed into a search box, normalised the same way; None if it is not one."""
    try:
        return normalise_phone(raw, region=region)
    except InvalidInput:
        return None
