"""Service-level targets: when a conversation's answers and resolution fall due.

Pure: no database and no clock. The caller passes the policy, the inbox's business hours,
the conversation's facts and the moment it reasons about.

The three clocks
----------------
* **first response**: from the conversation's first message until the first public answer.
* **next response**: from a customer's message after that until the next public answer.
  A customer who writes again before being answered does not restart it (that is a bump).
* **resolution**: from the first message until the conversation is resolved.

Targets are business minutes of the inbox's hours, except for ``critical`` conversations,
which count calendar time around the clock: health and safety do not wait for Monday.

Pauses
------
While the conversation waits on the customer (``pending``) or is snoozed, no clock runs:
every due time is empty. Time spent paused is measured (in the same business time) from
the conversation's status history and added to the targets when the clocks run again, so a
conversation paused for a day gets that day back. A resolved conversation has no clocks;
when it is reopened, the time it spent resolved counts as paused too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from balie.hours import BusinessHours, add_business_time, business_time_between

Target: TypeAlias = Literal["first_response", "next_response", "resolution"]
TARGETS: tuple[Target, ...] = ("first_response", "next_response", "resolution")
SEVERITIES = ("normal", "high", "critical")
PAUSED_STATUSES = frozenset({"pending", "snoozed", "resolved"})
# The conversation column that holds each clock's due time.
DUE_FIELD: dict[str, str] = {
    "first_response": "first_response_due_at",
    "next_response": "next_response_due_at",
    "resolution": "resolution_due_at",
}

# A target longer than a year is no target; the bound also keeps the arithmetic finite.
MAX_MINUTES = 366 * 24 * 60
# A "business day" of the built-in defaults: eight open hours.
_DAY = 8 * 60


@dataclass(frozen=True, slots=True)
class Targets:
    """Minutes allowed for each clock (business minutes, or calendar when ``calendar``)."""

    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int

    def minutes(self, target: Target) -> int:
        if target == "first_response":
            return self.first_response_minutes
        if target == "next_response":
            return self.next_response_minutes
        return self.resolution_minutes


DEFAULTS: dict[str, Targets] = {
    "normal": Targets(8 * 60, 8 * 60, 5 * _DAY),
    "high": Targets(2 * 60, 4 * 60, 2 * _DAY),
    "critical": Targets(30, 60, 24 * 60),
}
"""Used when no policy row exists for the inbox or for all inboxes."""


def counts_calendar_time(severity: str) -> bool:
    """Critical cases are timed around the clock, whatever the inbox's hours."""
    return severity == "critical"


def hours_for(severity: str, hours: BusinessHours | None) -> BusinessHours | None:
    """The hours a severity's clocks run in: the inbox's, or always for critical."""
    return None if counts_calendar_time(severity) else hours


def targets_error(first: object, next_: object, resolution: object) -> tuple[str, str] | None:
    """Why these minutes cannot be a policy, as (field, message); None when they can."""
    given = {
        "first_response_minutes": first,
        "next_response_minutes": next_,
        "resolution_minutes": resolution,
    }
    for name, value in given.items():
        if not isinstance(value, int) or isinstance(value, bool):
            return name, f"{name} must be a whole number of minutes."
        if not 1 <= value <= MAX_MINUTES:
            return name, f"{name} must be between 1 and {MAX_MINUTES} minutes (a year)."
    assert isinstance(first, int) and isinstance(resolution, int)
    if resolution < first:
        return (
            "resolution_minutes",
            "The resolution target cannot be shorter than the first response target.",
        )
    return None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the clocks depend on. ``history`` lists the status changes as (moment, new
    status), oldest first; the conversation was ``open`` at ``created_at`` before them."""

    created_at: dt.datetime
    status: str
    severity: str
    first_response_at: dt.datetime | None
    awaiting_since: dt.datetime | None
    history: Sequence[tuple[dt.datetime, str]] = ()


@dataclass(frozen=True, slots=True)
class Due:
    first_response_due_at: dt.datetime | None = None
    next_response_due_at: dt.datetime | None = None
    resolution_due_at: dt.datetime | None = None

    def of(self, target: Target) -> dt.datetime | None:
        if target == "first_response":
            return self.first_response_due_at
        if target == "next_response":
            return self.next_response_due_at
        return self.resolution_due_at


def paused_time(
    hours: BusinessHours | None,
    created_at: dt.datetime,
    history: Sequence[tuple[dt.datetime, str]],
    since: dt.datetime,
    until: dt.datetime,
) -> dt.timedelta:
    """Business time between ``since`` and ``until`` that the conversation spent paused."""
    total = dt.timedelta(0)
    status, start = "open", created_at
    for moment, new_status in [*history, (until, "")]:
        if status in PAUSED_STATUSES:
            total += business_time_between(hours, max(start, since), min(moment, until))
        status, start = new_status, moment
    return total


def due_times(targets: Targets, hours: BusinessHours | None, facts: Facts, now: dt.datetime) -> Due:
    """The due times of a conversation's running clocks at ``now``; empty when paused."""
    if facts.status in PAUSED_STATUSES:
        return Due()
    h = hours_for(facts.severity, hours)

    def after(start: dt.datetime, minutes: int) -> dt.datetime | None:
        paused = paused_time(h, facts.created_at, facts.history, start, now)
        try:
            return add_business_time(h, start, dt.timedelta(minutes=minutes) + paused)
        except ValueError:
            # Hours with no open time in the next year (an inbox closed for good, or set
            # up as "never open" to take only messages): no target can fall due.
            return None

    resolution = after(facts.created_at, targets.resolution_minutes)
    if facts.awaiting_since is None:
        return Due(resolution_due_at=resolution)
    if facts.first_response_at is None:
        return Due(
            first_response_due_at=after(facts.created_at, targets.first_response_minutes),
            resolution_due_at=resolution,
        )
    return Due(
        next_response_due_at=after(facts.awaiting_since, targets.next_response_minutes),
        resolution_due_at=resolution,
    )


def overdue_by(due: dt.datetime | None, now: dt.datetime) -> dt.timedelta | None:
    """How long past due a clock is at ``now``; None when it is not (yet) overdue."""
    if due is None or due > now:
        return None
    return now - due
