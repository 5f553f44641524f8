"""The abuse policy (SCENARIOS A2): when an agent may end a chat or block a customer,
for how long, and what the customer is told. Pure: counts, times and languages in,
decisions and sentences out.

The steps are deliberately slow and visible: a boundary message first (recorded as a
warning), ending the chat only after the configured number of warnings, blocking for a
bounded period. Shouting never changes what a customer is offered (A3); it only changes
how the conversation may end.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from balie.languages import first_spoken

DEFAULT_WARNINGS_BEFORE_END = 2
# The periods the agent is offered; any whole number of days up to the maximum is allowed.
BLOCK_DAY_CHOICES = (1, 7, 30)
MAX_BLOCK_DAYS = 365
MAX_REASON_CHARS = 500
MAX_NOTE_CHARS = 2000

BOUNDARY_TEXT = {
    "nl": "Ik wil u graag helpen, en dat lukt het best als we het gesprek respectvol houden.",
    "en": "I want to help you, and I can do that best if we keep this respectful.",
}
END_TEXT = {
    "nl": "Omdat het gesprek niet respectvol bleef, beëindig ik deze chat. "
    "U kunt later opnieuw contact met ons opnemen.",
    "en": "Because the conversation did not stay respectful, I am ending this chat. "
    "You are welcome to contact us again later.",
}
_BLOCKED_TEXT = {
    "nl": "U kunt tot {until} geen nieuwe chat starten. E-mail aan ons komt wel aan.",
    "en": "You cannot start a new chat until {until}. E-mail to us still arrives.",
}
_DATE_FORMAT = {"nl": "%d-%m-%Y %H:%M", "en": "%Y-%m-%d %H:%M"}


# The first of the given languages Balie speaks, English when none is (balie.languages).
language_of = first_spoken


def boundary_text(language: str) -> str:
    return BOUNDARY_TEXT[language_of(language)]


def end_text(language: str) -> str:
    return END_TEXT[language_of(language)]


def may_warn_again(last_warning_seq: int | None, last_customer_seq: int | None) -> bool:
    """A new warning only once the customer has written after the last one (message
    sequence numbers in the conversation): two warnings in a row (a double click, a
    retried post) would reach the limit before the customer could react to the first."""
    if last_warning_seq is None:
        return True
    return last_customer_seq is not None and last_customer_seq > last_warning_seq


def may_end_chat(warnings: int, limit: int) -> bool:
    """An agent may end the chat once the customer has had ``limit`` boundary warnings."""
    return warnings >= limit


def warnings_to_go(warnings: int, limit: int) -> int:
    """How many more warnings before the chat may be ended (0: it may be ended now)."""
    return max(0, limit - warnings)


def may_block(warnings: int, limit: int, *, is_lead: bool) -> bool:
    """Supervisors may always block; an agent only after the warnings limit was reached
    in a conversation with this customer."""
    return is_lead or may_end_chat(warnings, limit)


def block_days_error(days: int) -> str | None:
    """Why ``days`` is not a block period, or None when it is."""
    if not 1 <= days <= MAX_BLOCK_DAYS:
        return f"A block lasts 1 to {MAX_BLOCK_DAYS} days."
    return None


def blocked_until(now: dt.datetime, days: int) -> dt.datetime:
    return now + dt.timedelta(days=days)


def is_blocked(until: dt.datetime | None, now: dt.datetime) -> bool:
    return until is not None and until > now


def reason_error(reason: str, *, required: bool = True) -> str | None:
    """Why a reason is not acceptable, or None when it is."""
    if required and not reason.strip():
        return "Give a reason; it goes into the audit log."
    if len(reason) > MAX_REASON_CHARS:
        return f"A reason is limited to {MAX_REASON_CHARS} characters."
    return None


def blocked_notice(until: dt.datetime, language: str, zone: ZoneInfo) -> str:
    """What a blocked customer is told when they try to start a chat: until when, and
    that e-mail still reaches us (nothing they send is lost)."""
    language = language_of(language)
    local = until.astimezone(zone).strftime(_DATE_FORMAT[language])
    return _BLOCKED_TEXT[language].format(until=local)
