"""When a promise's reminder and its unkept check fire. Pure: the caller passes the
inbox's business hours (None: around the clock, as for critical cases) and the moment."""

from __future__ import annotations

import datetime as dt

from balie.hours import BusinessHours, add_business_time, is_open, next_open

# How long before its due time the owner is reminded: time to still keep it.
AHEAD = dt.timedelta(hours=1)
# How long (in the inbox's business time) after its due time an open promise is unkept.
GRACE = dt.timedelta(hours=2)


def remind_at(due: dt.datetime, hours: BusinessHours | None, now: dt.datetime) -> dt.datetime:
    """An hour before the due time; when that hour falls outside the inbox's hours (a
    promise due at 09:30 on Monday), at the opening of the day it is due instead, so the
    owner hears of it at work and before it is late. Never before ``now``."""
    at = due - AHEAD
    if hours is not None and not is_open(hours, at):
        opens = next_open(hours, at)
        if opens is not None and opens < due:
            at = opens
    return max(at, now)


def unkept_at(due: dt.datetime, hours: BusinessHours | None) -> dt.datetime:
    """The grace counts in open time: a promise due at 16:30 on Friday with hours until
    17:00 is unkept at 10:30 on Monday, not on Friday evening when nobody could keep it."""
    try:
        return add_business_time(hours, due, GRACE)
    except ValueError:
        # Hours that never open again: no business time to wait for.
        return due + GRACE
