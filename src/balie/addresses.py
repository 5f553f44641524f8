"""E-mail addresses as Balie stores them: validated, domain lower-cased."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from balie.errors import InvalidInput


def normalise_email(value: str) -> str:
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"Not a valid e-mail address: {value!r} ({exc})", field="email") from exc
    # Local parts are case-sensitive in theory; in practice customers type them any way.
    return checked.normalized.lower()
