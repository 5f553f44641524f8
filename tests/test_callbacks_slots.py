"""The pure callback rules: phone numbers people type, slots we can keep, slots we offer."""

from __future__ import annotations

import datetime as dt

import pytest

from balie.callbacks.slots import SlotProblem, check_slot, normalise_phone, offered_slots
from balie.hours import parse_hours

# Monday 09:00-17:00 and Saturday 10:00-12:00, Amsterdam (CET in December: UTC+1).
HOURS = parse_hours(
    {
        "timezone": "Europe/Amsterdam",
        "weekly": {
            "mon": [["09:00", "17:00"]],
            "tue": [],
            "wed": [],
            "thu": [],
            "fri": [],
            "sat": [["10:00", "12:00"]],
            "sun": [],
        },
    }
)
# Monday 7 December 2026, 07:00 UTC = 08:00 in Amsterdam.
MONDAY_8 = dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.UTC)


def utc(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("06 1234 5678", "+31612345678"),
        ("06-12345678", "+31612345678"),
        ("020 123 4567", "+31201234567"),
        ("(020) 123-4567", "+31201234567"),
        ("+31 6 12345678", "+31612345678"),
        ("0031 6 12345678", "+31612345678"),
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_phone_numbers_as_people_write_them_are_normalised(typed: str, normalised: str) -> None:
    assert normalise_phone(typed) == normalised


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "0612345",
        "061234567890",
        "612345678",
        "+31 6 1234",
        "+0 123456789",
        "06-1234abcd",
        "+1234567890123456",
    ],
)
def test_numbers_we_cannot_call_are_refused(typed: str) -> None:
    with pytest.raises(SlotProblem) as problem:
        normalise_phone(typed)
    assert problem.value.field == "phone"


def test_a_slot_inside_business_hours_is_accepted() -> None:
    check_slot(utc(7, 9), utc(7, 9, 30), now=MONDAY_8, hours=HOURS)  # 10:00-10:30 local
    check_slot(utc(7, 12), utc(7, 16), now=MONDAY_8, hours=HOURS)  # 13:00-17:00, four hours


@pytest.mark.parametrize(
    ("start", "end", "field", "words"),
    [
        (utc(7, 9), utc(7, 9, 10), "slot_end", "15 minutes to 4 hours"),
        (utc(7, 9), utc(7, 13, 1), "slot_end", "15 minutes to 4 hours"),
        (utc(7, 9), utc(7, 9), "slot_end", "end after it starts"),
        (utc(7, 6), utc(7, 6, 30), "slot_start", "future"),
        (utc(7, 15, 45), utc(7, 16, 15), "slot_start", "business hours"),  # past 17:00
        (utc(8, 9), utc(8, 9, 30), "slot_start", "business hours"),  # Tuesday: closed
        (
            utc(7, 9) + dt.timedelta(days=91),
            utc(7, 10) + dt.timedelta(days=91),
            "slot_start",
            "90 days",
        ),
    ],
)
def test_slots_we_cannot_keep_are_refused_naming_the_field(
    start: dt.datetime, end: dt.datetime, field: str, words: str
) -> None:
    with pytest.raises(SlotProblem) as problem:
        check_slot(start, end, now=MONDAY_8, hours=HOURS)
    assert problem.value.field == field
    assert words in str(problem.value)


def test_without_hours_any_future_slot_will_do() -> None:
    check_slot(utc(8, 2), utc(8, 3), now=MONDAY_8, hours=None)


def test_offered_slots_are_half_hours_inside_the_hours_after_a_short_lead() -> None:
    offered = offered_slots(HOURS, utc(7, 15, 10), count=4)  # Monday 16:10 local
    # 16:30-17:00 is too soon (30 minutes lead), so Saturday 10:00 local comes next.
    assert offered == [
        (utc(12, 9), utc(12, 9, 30)),
        (utc(12, 9, 30), utc(12, 10)),
        (utc(12, 10), utc(12, 10, 30)),
        (utc(12, 10, 30), utc(12, 11)),
    ]
    for start, end in offered:
        check_slot(start, end, now=utc(7, 15, 10), hours=HOURS)


def test_offered_slots_stop_when_the_hours_never_open() -> None:
    closed = parse_hours(
        {
            "timezone": "Europe/Amsterdam",
            "weekly": {d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        }
    )
    assert offered_slots(closed, MONDAY_8) == []
