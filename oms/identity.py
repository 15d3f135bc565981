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


# ------------------------------------------------------------------ search keys
# Stored next to what they derive from (oms/models.py) and matched by indexed prefix.

PHONE_TAIL_MIN_DIGITS = 7


def surname_key(name_search: str | None) -> str | None:
    """The last word of a normalised name ("jon snow" -> "snow"): a surname typed alone."""
    if not name_search:
        return None
    words = name_search.split()
    return words[-1] if len(words) > 1 else None


def phone_reversed(phone: str | None) -> str | None:
    """The digits of a phone, last first ("+12125550148" -> "84105552121"): the last 7 or
    more digits a customer reads out become an indexed prefix match."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits[::-1] or None


def phone_tail_key(raw: str) -> str | None:
    """Search input that is a phone's tail (7+ digits, separators allowed), reversed like
    `phone_reversed`; None when it is not."""
    if any(ch.isalpha() or ch == "@" for ch in raw):
        return None
    digits = "".join(ch for ch in raw if ch.isdigit())
    return digits[::-1] if len(digits) >= PHONE_TAIL_MIN_DIGITS else None
