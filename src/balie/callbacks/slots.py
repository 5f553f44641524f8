"""Callback rules as pure functions: is this a phone number we can call, is this a slot we
can keep, and which slots to offer a visitor. No database and no clock: the caller passes
the moment it reasons about and the inbox's business hours (None is always open)."""

from __future__ import annotations

import datetime as dt
import re

from balie.hours import BusinessHours, business_time_between, is_open, next_open

MIN_SLOT = dt.timedelta(minutes=15)
MAX_SLOT = dt.timedelta(minutes=240)
# Nobody plans a callback for next year; a far-off date is a typo.
MAX_AHEAD = dt.timedelta(days=90)
MAX_NOTE_CHARS = 2000
# What the widget offers: half-hour slots, not too soon (someone must see the request).
OFFER_LENGTH = dt.timedelta(minutes=30)
OFFER_LEAD = dt.timedelta(minutes=30)
OFFER_COUNT = 12
OFFER_DAYS = dt.timedelta(days=14)

_SEPARATORS = re.compile(r"[\s().\-/]")


class SlotProblem(ValueError):
    """A rule broken, with the field a form should point at."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def normalise_phone(raw: str) -> str:
    """A phone number in E.164 form (``+31612345678``). Dutch numbers as people write
    them (``06 1234 5678``, ``020-1234567``, ``0031 6 ...``) become ``+31...``; other
    countries need their ``+`` (or ``00``) prefix, or we could not tell where to call."""
    text = _SEPARATORS.sub("", raw.strip())
    if not text:
        raise SlotProblem("Give a phone number.", "phone")
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("0"):
        # A Dutch number: 0 and nine digits (06 for mobiles, 0xx for areas).
        if not (text.isdigit() and text.isascii() and len(text) == 10):
            raise SlotProblem(
                "A Dutch phone number has 10 digits, like 06 12345678 or 020 1234567.", "phone"
            )
        digits = "31" + text[1:]
    else:
        raise SlotProblem(
            "Write the phone number with its country code (+32 ...) or as a Dutch number "
            "starting with 0.",
            "phone",
        )
    if not (digits.isdigit() and digits.isascii()) or not 8 <= len(digits) <= 15:
        raise SlotProblem("A phone number is 8 to 15 digits after the +.", "phone")
    if digits[0] == "0":
        raise SlotProblem("A country code never starts with 0.", "phone")
    if digits.startswith("31") and len(digits) != 11:
        raise SlotProblem("A Dutch number has 9 digits after +31.", "phone")
    return "+" + digits


def check_slot(
    start: dt.datetime, end: dt.datetime, *, now: dt.datetime, hours: BusinessHours | None
) -> None:
    """Raise `SlotProblem` unless [start, end) is 15 to 240 minutes, in the future, and
    wholly inside the business hours (someone is there to make the call)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise SlotProblem("Give the slot's times with a time zone.", "slot_start")
    if end <= start:
        raise SlotProblem("The slot must end after it starts.", "slot_end")
    length = end - start
    if not MIN_SLOT <= length <= MAX_SLOT:
        raise SlotProblem("A callback slot is 15 minutes to 4 hours long.", "slot_end")
    if start <= now:
        raise SlotProblem("The slot must be in the future.", "slot_start")
    if start > now + MAX_AHEAD:
        raise SlotProblem("A callback can be planned at most 90 days ahead.", "slot_start")
    if business_time_between(hours, start, end) != length:
        raise SlotProblem("The slot must fall inside the inbox's business hours.", "slot_start")


def _round_up(moment: dt.datetime, step: dt.timedelta) -> dt.datetime:
    """The next whole ``step`` (e.g. :00 or :30) at or after ``moment``."""
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    steps = -((epoch - moment) // step)  # ceiling division
    return epoch + steps * step


def offered_slots(
    hours: BusinessHours | None,
    now: dt.datetime,
    *,
    length: dt.timedelta = OFFER_LENGTH,
    count: int = OFFER_COUNT,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The first ``count`` slots of ``length`` on whole half hours that lie wholly inside
    the business hours, starting a little after ``now`` and within two weeks."""
    slots: list[tuple[dt.datetime, dt.datetime]] = []
    candidate = _round_up(now + OFFER_LEAD, dt.timedelta(minutes=30))
    until = now + OFFER_DAYS
    while len(slots) < count and candidate < until:
        end = candidate + length
        if business_time_between(hours, candidate, end) == length:
            slots.append((candidate, end))
            candidate = end
        elif is_open(hours, candidate):
            # Open, but closing before the slot ends: try the next half hour.
            candidate += dt.timedelta(minutes=30)
        else:
            opens = next_open(hours, candidate)
            if opens is None:
                break
            candidate = _round_up(
                max(opens, candidate + dt.timedelta(minutes=1)), dt.timedelta(minutes=30)
            )
    return slots
