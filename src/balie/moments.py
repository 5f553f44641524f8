"""Dates and moments a person or a program gave us, kept to a sane range. Pure.

Python's dates run from year 1 to 9999, but turning 9999-12-31 23:59 -01:00 into UTC, or
0001-01-01 into a time zone east of UTC, overflows; and nobody plans a call or asks for a
report that far away. Every date from outside (API, web forms, the chat widget) goes
through here so a far-away one is a clear 422 naming the field instead of a 500.
"""

from __future__ import annotations

import datetime as dt

from balie.errors import InvalidInput

FIRST_YEAR = 2000
# How far ahead a date may lie: plans, slots and reports do not look further.
YEARS_AHEAD = 5


def last_year(now: dt.datetime | dt.date) -> int:
    return now.year + YEARS_AHEAD


def _refuse(field: str, now: dt.datetime | dt.date) -> InvalidInput:
    return InvalidInput(
        f"{field} must lie between the years {FIRST_YEAR} and {last_year(now)}.", field=field
    )


def check_date(value: dt.date, field: str, *, now: dt.datetime | dt.date) -> dt.date:
    """``value`` if its year lies in FIRST_YEAR .. now + YEARS_AHEAD, else InvalidInput."""
    if not FIRST_YEAR <= value.year <= last_year(now):
        raise _refuse(field, now)
    return value


def check_moment(value: dt.datetime, field: str, *, now: dt.datetime) -> dt.datetime:
    """An aware moment as UTC, if it lies in the sane range (judged in UTC and in the
    given zone); a naive one, or one that overflows, is InvalidInput naming the field."""
    if value.tzinfo is None:
        raise InvalidInput(f"Give {field} with its time zone.", field=field)
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:
        raise _refuse(field, now) from None
    check_date(value.date(), field, now=now)
    check_date(utc.date(), field, now=now)
    return utc
