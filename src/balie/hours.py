"""Business hours: is the inbox open now, when does it open again, and how much open time
lies between two moments.

The live-chat widget asks the first two questions; SLA timers use the arithmetic
(`add_business_time`, `business_time_between`), so everything here works on exact instants
and stays correct across weekends, holidays and daylight-saving changes.

The module is pure: no database, no clock. Every function takes the moment it reasons about.

Rules
-----
* Opening intervals are wall-clock times in the hours' own time zone, half-open: an
  interval 09:00-17:00 is open at 09:00 and closed at 17:00.
* ``24:00`` ends an interval at the following midnight. In Python it is `END_OF_DAY`
  (``datetime.time.max``): a `datetime.time` cannot say 24:00, and `time.max` still sorts
  after every other time, so "start < end" and "sorted" checks need no special case. Its
  instant is the next day's 00:00 by the rules below, so 22:00-24:00 followed by the next
  day's 00:00-02:00 is one unbroken opening.
* A wall time that occurs twice (the hour repeated when clocks go back) means its first
  occurrence, as with zoneinfo's ``fold=0``. On 2026-10-25 in Europe/Amsterdam an interval
  02:00-03:00 is therefore two real hours long (both passes through 02:xx), and one ending
  at 02:30 ends during the first pass.
* A wall time that does not exist (skipped when clocks go forward) means the instant the
  clocks jump: on 2026-03-29 in Europe/Amsterdam, 02:30 is read as 03:00 CEST. This keeps
  the mapping from wall time to instant monotonic, so an interval can shrink or vanish on
  that day but never turn inside out. (zoneinfo's own ``fold=0`` reading would put 02:30 at
  03:30 CEST, after 03:15, which would make an interval 02:30-03:15 end before it starts.)
  An interval 09:00-17:00 is 8 real hours except on a day whose change falls inside it.
* A holiday closes the intervals of that local date. An interval of the day before that
  runs until 24:00 stays open; the holiday's own 00:00-02:00 does not.
* ``None`` instead of `BusinessHours` means "always open".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, TypeAlias, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as holiday_calendars

__all__ = [
    "END_OF_DAY",
    "HORIZON",
    "MAX_HOLIDAYS",
    "MAX_INTERVALS_PER_DAY",
    "WEEKDAYS",
    "BusinessHours",
    "HolidayPreset",
    "Interval",
    "add_business_time",
    "business_time_between",
    "hours_json",
    "is_open",
    "next_open",
    "parse_hours",
]

END_OF_DAY = time.max
"""The end time written as ``24:00``: the interval runs until the following midnight."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""JSON keys of `BusinessHours.weekly`, in `date.weekday()` order."""

MAX_INTERVALS_PER_DAY = 8
MAX_HOLIDAYS = 400

HORIZON = timedelta(days=400)
"""How far ahead `next_open` looks, and the longest closed stretch `add_business_time`
crosses before it gives up: more than a year, so an annual closure still ends."""

HolidayPreset: TypeAlias = Literal["NL"]
Interval: TypeAlias = tuple[time, time]

_PRESETS: tuple[HolidayPreset, ...] = ("NL",)
_MIDNIGHT = time(0)
_ONE_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)
# Days scanned without finding open time before giving up; a little over HORIZON because the
# scan starts a day early and local dates straddle UTC ones.
_IDLE_DAYS = HORIZON.days + 3

_TIME_TEXT = re.compile(r"([0-9]{2}):([0-9]{2})")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FIELDS = ("timezone", "weekly", "holidays", "preset")


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """When an inbox is staffed.

    ``timezone`` is an IANA name (``"Europe/Amsterdam"``). ``weekly`` holds seven tuples,
    Monday first (``date.weekday()`` order), of ``(start, end)`` wall-clock intervals: whole
    minutes, ``start < end``, sorted and not overlapping (touching is fine); `END_OF_DAY` as
    an end means 24:00. ``holidays`` are extra closed local dates; ``holiday_preset`` adds a
    country's public holidays (``"NL"``, see `_preset_dates`).

    Construction validates everything and raises `ValueError` naming the field, so a
    `BusinessHours` that exists is always usable.
    """

    timezone: str
    weekly: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date] = frozenset()
    holiday_preset: HolidayPreset | None = None

    def __post_init__(self) -> None:
        _zone(self.timezone)
        if not isinstance(self.weekly, tuple) or len(self.weekly) != len(WEEKDAYS):
            raise ValueError("weekly: expected 7 days, Monday to Sunday")
        for key, day in zip(WEEKDAYS, self.weekly, strict=True):
            _check_day(f"weekly.{key}", day)
        if not isinstance(self.holidays, frozenset):
            raise ValueError("holidays: expected a frozenset of dates")
        if len(self.holidays) > MAX_HOLIDAYS:
            raise ValueError(f"holidays: at most {MAX_HOLIDAYS} dates, got {len(self.holidays)}")
        for day_off in self.holidays:
            # datetime is a subclass of date; a datetime here would never equal a date.
            if not isinstance(day_off, date) or isinstance(day_off, datetime):
                raise ValueError(f"holidays: {_show(day_off)} is not a date")
        if self.holiday_preset is not None and self.holiday_preset not in _PRESETS:
            raise ValueError(
                f"holiday_preset: unknown preset {_show(self.holiday_preset)} "
                f"(known: {', '.join(_PRESETS)})"
            )

    @property
    def zone(self) -> ZoneInfo:
        """The time zone itself; zoneinfo caches instances by name, so this is cheap."""
        return ZoneInfo(self.timezone)


# --- Validation -----------------------------------------------------------------------------


@functools.cache
def _known_zones() -> frozenset[str]:
    # "localtime" is the server's own zone, not an IANA name: the same hours would mean
    # different things on different machines.
    return frozenset(available_timezones() - {"localtime"})


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or name not in _known_zones():
        raise ValueError(f"timezone: unknown time zone {_show(name)}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as e:
        raise ValueError(f"timezone: unknown time zone {_show(name)}") from e


def _check_day(where: str, day: object) -> None:
    if not isinstance(day, tuple):
        raise ValueError(f"{where}: expected a tuple of (start, end) intervals")
    if len(day) > MAX_INTERVALS_PER_DAY:
        raise ValueError(
            f"{where}: at most {MAX_INTERVALS_PER_DAY} intervals a day, got {len(day)}"
        )
    previous: Interval | None = None
    for i, interval in enumerate(day):
        here = f"{where}[{i}]"
        if not (isinstance(interval, tuple) and len(interval) == 2):
            raise ValueError(f"{here}: expected a (start, end) pair")
        start, end = cast("tuple[object, object]", interval)
        if not (
            isinstance(start, time)
            and isinstance(end, time)
            and _is_wall_time(start)
            and (_is_wall_time(end) or end == END_OF_DAY)
        ):
            raise ValueError(f"{here}: times must be whole minutes without a time zone")
        if not start < end:
            raise ValueError(f"{here}: start {_hhmm(start)} is not before end {_hhmm(end)}")
        if previous is not None and start < previous[1]:
            raise ValueError(
                f"{here}: {_hhmm(start)}-{_hhmm(end)} overlaps or comes before "
                f"{_hhmm(previous[0])}-{_hhmm(previous[1])}; "
                "intervals must be sorted and must not overlap"
            )
        previous = (start, end)


def _is_wall_time(value: time) -> bool:
    return value.tzinfo is None and value.second == 0 and value.microsecond == 0


def _show(value: object) -> str:
    """A value for an error message, short enough that hostile input cannot flood a log."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _hhmm(t: time) -> str:
    return "24:00" if t == END_OF_DAY else f"{t.hour:02d}:{t.minute:02d}"


# --- JSON -----------------------------------------------------------------------------------


def parse_hours(data: dict[str, Any] | None) -> BusinessHours | None:
    """Business hours from their JSON form; ``None`` (no hours configured) means always open.

    Raises `ValueError` with a message that names the offending field, e.g.
    ``weekly.mon[0]: bad time '25:00' (expected HH:MM, 00:00 to 24:00)``.
    """
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError("business hours: expected an object")
    for key in data:
        if key not in _FIELDS:
            raise ValueError(f"unknown field {_show(key)} (expected {', '.join(_FIELDS)})")
    if "timezone" not in data:
        raise ValueError("timezone: required")
    if "weekly" not in data:
        raise ValueError("weekly: required")
    timezone = data["timezone"]
    _zone(timezone)
    return BusinessHours(
        timezone=timezone,
        weekly=_parse_weekly(data["weekly"]),
        holidays=_parse_holidays(data.get("holidays") or []),
        holiday_preset=_parse_preset(data.get("preset")),
    )


def _parse_weekly(raw: object) -> tuple[tuple[Interval, ...], ...]:
    if not isinstance(raw, dict):
        raise ValueError(f"weekly: expected an object with keys {', '.join(WEEKDAYS)}")
    for key in raw:
        if key not in WEEKDAYS:
            raise ValueError(
                f"weekly: unknown weekday {_show(key)} (expected one of {', '.join(WEEKDAYS)})"
            )
    # A day left out is closed, like an empty list.
    return tuple(_parse_day(f"weekly.{key}", raw.get(key, [])) for key in WEEKDAYS)


def _parse_day(where: str, raw: object) -> tuple[Interval, ...]:
    if not isinstance(raw, list):
        raise ValueError(f"{where}: expected a list of [start, end] pairs")
    if len(raw) > MAX_INTERVALS_PER_DAY:
        raise ValueError(
            f"{where}: at most {MAX_INTERVALS_PER_DAY} intervals a day, got {len(raw)}"
        )
    day: list[Interval] = []
    for i, pair in enumerate(raw):
        here = f"{where}[{i}]"
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ValueError(f'{here}: expected a pair ["HH:MM", "HH:MM"], got {_show(pair)}')
        start, end = _parse_time(here, pair[0]), _parse_time(here, pair[1])
        if start == END_OF_DAY:
            raise ValueError(f"{here}: 24:00 can only end an interval")
        day.append((start, end))
    # Order, overlap and start < end are checked once, by BusinessHours itself.
    return tuple(day)


def _parse_time(where: str, raw: object) -> time:
    match = _TIME_TEXT.fullmatch(raw) if isinstance(raw, str) else None
    if match is not None:
        hour, minute = int(match[1]), int(match[2])
        if hour == 24 and minute == 0:
            return END_OF_DAY
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ValueError(f"{where}: bad time {_show(raw)} (expected HH:MM, 00:00 to 24:00)")


def _parse_holidays(raw: object) -> frozenset[date]:
    if not isinstance(raw, list):
        raise ValueError("holidays: expected a list of YYYY-MM-DD dates")
    if len(raw) > MAX_HOLIDAYS:
        raise ValueError(f"holidays: at most {MAX_HOLIDAYS} dates, got {len(raw)}")
    days: set[date] = set()
    for i, text in enumerate(raw):
        # fromisoformat alone would also take "20261224" and week dates like "2026-W52-4".
        try:
            if not (isinstance(text, str) and _DATE_TEXT.fullmatch(text)):
                raise ValueError(text)
            days.add(date.fromisoformat(text))
        except ValueError:
            raise ValueError(
                f"holidays[{i}]: bad date {_show(text)} (expected YYYY-MM-DD)"
            ) from None
    return frozenset(days)


def _parse_preset(raw: object) -> HolidayPreset | None:
    if raw is None:
        return None
    for preset in _PRESETS:
        if raw == preset:
            return preset
    raise ValueError(f"preset: unknown holiday preset {_show(raw)} (known: {', '.join(_PRESETS)})")


def hours_json(h: BusinessHours) -> dict[str, Any]:
    """The JSON form `parse_hours` reads: all seven days, holidays sorted, preset or null."""
    return {
        "timezone": h.timezone,
        "weekly": {
            key: [[_hhmm(start), _hhmm(end)] for start, end in day]
            for key, day in zip(WEEKDAYS, h.weekly, strict=True)
        },
        "holidays": [d.isoformat() for d in sorted(h.holidays)],
        "preset": h.holiday_preset,
    }


# --- Holidays -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _preset_dates(preset: HolidayPreset, year: int) -> frozenset[date]:
    """A preset's closed dates in one year, from the `holidays` package (pinned at 0.109;
    an upgrade can change what a preset closes, so read its changelog for NL).

    "NL" is the package's default (public) category for the Netherlands: New Year's Day,
    Good Friday, Easter Sunday and Monday, King's Day (27 April, the 26th when the 27th is
    a Sunday), Ascension Day, Whit Sunday and Monday, and both Christmas days. Bevrijdingsdag
    (5 May) is in it only in lustrum years (2025, 2030, ...): the law names it every year,
    but most collective labour agreements give it off only once every five years, and the
    package follows them. Other years it sits in the package's "optional" category, which
    is not loaded; an inbox that closes every 5 May lists the date in ``holidays``.
    Good Friday is in it too, though many employers work that day; presets cannot be
    trimmed, so such an inbox leaves the preset off and lists its own dates.
    """
    return frozenset(holiday_calendars.country_holidays(preset, years=year))


def _is_holiday(h: BusinessHours, day: date) -> bool:
    if day in h.holidays:
        return True
    return h.holiday_preset is not None and day in _preset_dates(h.holiday_preset, day.year)


# --- Wall clock to instants -----------------------------------------------------------------


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall time, by the module's DST rules.

    An existing wall time, ambiguous or not, is its fold=0 (first) occurrence. A wall time in
    a gap is the instant the clocks jump: the first instant whose wall time is not earlier.
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In a gap zoneinfo applies the offset from before the jump for fold=0 and the one from
    # after it for fold=1, so the jump lies between the two readings. Bisect for it (to the
    # microsecond; at most a few dozen steps, and only on the day of a change).
    lo = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = first
    if not (lo < hi and _wall(lo, zone) < wall <= _wall(hi, zone)):
        return first  # not a plain forward jump; cannot happen with real tz data
    while hi - lo > _MICROSECOND:
        mid = lo + (hi - lo) // 2
        if _wall(mid, zone) < wall:
            lo = mid
        else:
            hi = mid
    return hi


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


Span: TypeAlias = tuple[datetime, datetime]


@functools.lru_cache(maxsize=4096)
def _local_day(h: BusinessHours, day: date) -> tuple[datetime, tuple[Span, ...]]:
    """When a local date begins (UTC) and its opening intervals as UTC instants, in order
    because `_instant` is monotonic; intervals a DST gap swallowed whole are left out.

    Cached: SLA timers ask about the same few days of the same hours over and over, and
    each answer costs a handful of zone conversions.
    """
    zone = h.zone
    begins = _instant(datetime.combine(day, _MIDNIGHT), zone)
    if not h.weekly[day.weekday()] or _is_holiday(h, day):
        return begins, ()
    spans = []
    for start, end in h.weekly[day.weekday()]:
        s = _instant(datetime.combine(day, start), zone)
        if end == END_OF_DAY:
            e = _instant(datetime.combine(day + _ONE_DAY, _MIDNIGHT), zone)
        else:
            e = _instant(datetime.combine(day, end), zone)
        if s < e:
            spans.append((s, e))
    return begins, tuple(spans)


def _spans(h: BusinessHours, since: datetime, until: datetime | None) -> Iterator[Span]:
    """Opening intervals (UTC, half-open, in order) that end after ``since``.

    With ``until`` it stops once a local day begins after ``until``. Without, it stops after
    `_IDLE_DAYS` days in a row without open time, so a schedule that never opens cannot
    loop forever. It also stops at the end of the calendar (year 9999).
    Adjacent intervals (22:00-24:00, then 00:00-02:00) come separately; no caller needs
    them merged, and merging would never finish for a shop open around the clock.
    """
    try:
        # The day before too: on a day when the clocks go back past midnight, ``since`` can
        # have the earlier date while the later date's intervals have already begun.
        day = since.astimezone(h.zone).date() - _ONE_DAY
    except OverflowError:
        return
    idle = 0
    while day < date.max:
        try:
            begins, spans = _local_day(h, day)
        except OverflowError:
            return
        if until is not None and begins > until:
            return
        found = False
        for s, e in spans:
            if e > since:
                found = True
                yield s, e
        idle = 0 if found else idle + 1
        if until is None and idle > _IDLE_DAYS:
            return
        day += _ONE_DAY


# --- Questions ------------------------------------------------------------------------------


def _utc(name: str, moment: datetime) -> datetime:
    # Aware datetimes sharing a tzinfo subtract and add as wall clocks in Python; converting
    # to UTC first makes every sum and difference here real elapsed time.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment.astimezone(UTC)


def is_open(h: BusinessHours | None, at: datetime) -> bool:
    """Whether ``at`` (aware, any zone) falls in an opening interval. None hours: always."""
    at = _utc("at", at)
    if h is None:
        return True
    for start, _end in _spans(h, at, until=at):
        return start <= at
    return False


def next_open(h: BusinessHours | None, at: datetime) -> datetime | None:
    """``at`` itself if open, else the moment the hours next open, in UTC; None when they
    do not open within `HORIZON` (400 days) of ``at``."""
    at = _utc("at", at)
    if h is None:
        return at
    try:
        horizon = at + HORIZON
    except OverflowError:  # the horizon lies past the year 9999
        horizon = datetime.max.replace(tzinfo=UTC)
    for start, _end in _spans(h, at, until=horizon):
        opens = max(start, at)
        return opens if opens <= horizon else None
    return None


def add_business_time(h: BusinessHours | None, start: datetime, delta: timedelta) -> datetime:
    """The earliest moment by which ``delta`` of open time has passed since ``start`` (UTC).

    This is what an SLA due time is: a one-hour reply target set at 16:30 on a Friday, with
    hours until 17:00, falls due at 09:30 on Monday. When the last of ``delta`` fills an
    interval exactly, the answer is that interval's end, not the next opening. ``delta`` 0
    gives ``start``. Raises `ValueError` for a negative ``delta``, or when a stretch of more
    than `HORIZON` without open time comes before ``delta`` is used up.
    """
    start = _utc("start", start)
    if delta < timedelta(0):
        raise ValueError(f"delta must not be negative, got {delta}")
    if h is None or not delta:
        return start + delta
    remaining = delta
    for s, e in _spans(h, start, until=None):
        s = max(s, start)
        if remaining <= e - s:
            return s + remaining
        remaining -= e - s
    raise ValueError(
        f"business hours in {h.timezone} have no open time for "
        f"{HORIZON.days} days after {start.isoformat()}, {remaining} short"
    )


def business_time_between(h: BusinessHours | None, a: datetime, b: datetime) -> timedelta:
    """Open time from ``a`` to ``b``; zero when ``b`` is not after ``a``.

    The inverse of `add_business_time`: for ``d > 0``,
    ``business_time_between(h, s, add_business_time(h, s, d)) == d``, to the microsecond.
    """
    a, b = _utc("a", a), _utc("b", b)
    if b <= a:
        return timedelta(0)
    if h is None:
        return b - a
    total = timedelta(0)
    for s, e in _spans(h, a, until=b):
        if s >= b:
            break
        total += min(e, b) - max(s, a)
    return total
