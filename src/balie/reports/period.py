"""The period and filters of a report, read from what a person typed. Pure.

A report covers whole days where the agents work (Europe/Amsterdam), from ``since`` up to
and including ``until``; without dates, the last 30 days up to today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from balie import moments
from balie.errors import InvalidInput
from balie.zone import LOCAL_ZONE

DEFAULT_DAYS = 30
# A year and a leap day: longer periods make unreadable charts and slow queries.
MAX_DAYS = 366


@dataclass(frozen=True)
class Filters:
    since: dt.date
    until: dt.date
    inbox_id: int | None = None
    agent_id: int | None = None

    @property
    def start(self) -> dt.datetime:
        """The first moment of the period, in UTC."""
        return _midnight(self.since)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period, in UTC (exclusive)."""
        return _midnight(self.until + dt.timedelta(days=1))

    @property
    def days(self) -> list[dt.date]:
        count = (self.until - self.since).days + 1
        return [self.since + dt.timedelta(days=n) for n in range(count)]

    def as_json(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "inbox_id": self.inbox_id,
            "agent_id": self.agent_id,
        }


def _midnight(day: dt.date) -> dt.datetime:
    # Midnight where the agents work: a day is 23 or 25 hours long when the clocks change.
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_ZONE).astimezone(dt.UTC)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LOCAL_ZONE).date()


def _date(raw: str | None, field: str, today: dt.date) -> dt.date | None:
    if raw is None or not raw.strip():
        return None
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(f"{field} is not a date like 2026-12-01.", field=field) from None
    # Far-away days would overflow when turned into moments (and mean nothing in a report).
    return moments.check_date(day, field, now=today)


def _id(raw: str | None, field: str) -> int | None:
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
        raise InvalidInput(f"{field} is not an id.", field=field)
    return int(text)


def parse_filters(
    *,
    since: str | None,
    until: str | None,
    inbox_id: str | None,
    agent_id: str | None,
    today: dt.date,
) -> Filters:
    """Filters from query parameters (empty means not given). ``today`` is the local date."""
    first = _date(since, "since", today)
    last = _date(until, "until", today)
    if last is None:
        last = today
    if first is None:
        first = last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise InvalidInput("until is before since.", field="until")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"A report covers at most {MAX_DAYS} days.", field="since")
    return Filters(first, last, _id(inbox_id, "inbox_id"), _id(agent_id, "agent_id"))
