"""Business-time arithmetic as the SLA clocks use it, tried on many moments: across
weekends, Dutch holidays and the daylight-saving weekends of Europe/Amsterdam."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from balie.hours import (
    BusinessHours,
    add_business_time,
    business_time_between,
    is_open,
    parse_hours,
)

AMS = ZoneInfo("Europe/Amsterdam")
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
TICK = timedelta(microseconds=1)


def _hours(weekly: dict[str, list[list[str]]], **extra: object) -> BusinessHours:
    h = parse_hours({"timezone": "Europe/Amsterdam", "weekly": weekly, **extra})
    assert h is not None
    return h


HOURS = [
    # An office with the Dutch public holidays.
    _hours({d: [["09:00", "17:00"]] for d in WORKDAYS}, preset="NL"),
    # A shop with a lunch break and a Saturday, and its own closing day.
    _hours(
        {
            **{d: [["08:30", "12:00"], ["13:00", "17:30"]] for d in WORKDAYS},
            "sat": [["10:00", "16:00"]],
        },
        holidays=["2026-12-31"],
    ),
    # A night desk whose hours cross midnight, and the very hours the clocks change.
    _hours({d: [["00:00", "04:00"], ["22:00", "24:00"]] for d in (*WORKDAYS, "sat", "sun")}),
    _hours({"sun": [["01:30", "03:30"]], "mon": [["09:00", "10:00"]]}),
]

# Moments around the 2026 and 2027 clock changes (last Sundays of March and October),
# Christmas and New Year, and an ordinary stretch.
WINDOWS = [
    (datetime(2026, 3, 25, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC)),
    (datetime(2026, 10, 21, tzinfo=UTC), datetime(2026, 10, 29, tzinfo=UTC)),
    (datetime(2026, 12, 20, tzinfo=UTC), datetime(2027, 1, 4, tzinfo=UTC)),
    (datetime(2027, 3, 24, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC)),
    (datetime(2027, 10, 27, tzinfo=UTC), datetime(2027, 11, 3, tzinfo=UTC)),
    (datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 15, tzinfo=UTC)),
]


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    start, end = draw(st.sampled_from(WINDOWS))
    seconds = draw(st.integers(0, int((end - start).total_seconds())))
    # Whole minutes mostly (where edges are), sometimes any second.
    if draw(st.booleans()):
        seconds -= seconds % 60
    return start + timedelta(seconds=seconds)


hours_st = st.sampled_from(HOURS)
# Up to two weeks of business time: past a weekend and a holiday run.
durations = st.integers(1, 14 * 8 * 60).map(lambda m: timedelta(minutes=m))
CASES = settings(max_examples=150, deadline=None)


@CASES
@given(hours_st, moments(), durations)
def test_a_due_time_never_falls_in_closed_time(
    h: BusinessHours, start: datetime, d: timedelta
) -> None:
    due = add_business_time(h, start, d)
    # The last of the time was open: the due time is inside opening hours or ends them.
    assert is_open(h, due - TICK)
    assert due > start


@CASES
@given(hours_st, moments(), durations)
def test_the_open_time_until_the_due_time_is_exactly_the_target(
    h: BusinessHours, start: datetime, d: timedelta
) -> None:
    assert business_time_between(h, start, add_business_time(h, start, d)) == d


@CASES
@given(hours_st, moments(), durations, durations)
def test_a_longer_target_is_never_due_sooner(
    h: BusinessHours, start: datetime, a: timedelta, b: timedelta
) -> None:
    short, long_ = sorted((a, b))
    assert add_business_time(h, start, short) <= add_business_time(h, start, long_)


@CASES
@given(hours_st, moments(), moments(), durations)
def test_a_later_start_is_never_due_sooner(
    h: BusinessHours, one: datetime, other: datetime, d: timedelta
) -> None:
    early, late = sorted((one, other))
    assert add_business_time(h, early, d) <= add_business_time(h, late, d)


@CASES
@given(hours_st, moments(), durations, durations)
def test_two_targets_in_a_row_add_up(
    h: BusinessHours, start: datetime, a: timedelta, b: timedelta
) -> None:
    # What the SLA clock relies on when it adds time spent paused to a target.
    assert add_business_time(h, add_business_time(h, start, a), b) == add_business_time(
        h, start, a + b
    )


@CASES
@given(moments(), st.integers(1, 72 * 60))
def test_always_open_is_plain_elapsed_time_across_clock_changes(
    start: datetime, minutes: int
) -> None:
    d = timedelta(minutes=minutes)
    assert add_business_time(None, start, d) == start + d
    assert business_time_between(None, start, start + d) == d


def _local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=AMS).astimezone(UTC)


def test_eight_office_hours_over_the_spring_forward_weekend() -> None:
    office = HOURS[0]
    # Friday 27 March 2026 16:00 CET; clocks go forward on Sunday the 29th.
    due = add_business_time(office, _local(2026, 3, 27, 16), timedelta(hours=8))
    assert due == _local(2026, 3, 30, 16)  # Monday 16:00 CEST
    assert due == datetime(2026, 3, 30, 14, tzinfo=UTC)


def test_eight_office_hours_over_the_fall_back_weekend() -> None:
    office = HOURS[0]
    due = add_business_time(office, _local(2026, 10, 23, 16), timedelta(hours=8))
    assert due == datetime(2026, 10, 26, 15, tzinfo=UTC)  # Monday 16:00 CET


def test_the_hour_skipped_in_spring_is_not_open_time() -> None:
    # Open 01:30-03:30 on Sundays: on 29 March 2026 02:00-03:00 does not exist.
    sunday = HOURS[3]
    start = _local(2026, 3, 29, 1, 30)
    assert business_time_between(sunday, start, start + timedelta(hours=3)) == timedelta(hours=1)
