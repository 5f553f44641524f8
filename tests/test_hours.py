"""Business hours: opening, next opening and business-time arithmetic across weekends,
holidays and daylight-saving changes; the JSON form and its error messages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balie.hours import (
    END_OF_DAY,
    HORIZON,
    WEEKDAYS,
    BusinessHours,
    add_business_time,
    business_time_between,
    hours_json,
    is_open,
    next_open,
    parse_hours,
)

AMS = ZoneInfo("Europe/Amsterdam")
H = timedelta(hours=1)
US = timedelta(microseconds=1)


def _hours(weekly: dict[str, list[list[str]]], **extra: Any) -> BusinessHours:
    h = parse_hours({"timezone": "Europe/Amsterdam", "weekly": weekly, **extra})
    assert h is not None
    return h


def _ams(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=AMS)


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


OFFICE = _hours({day: [["09:00", "17:30"]] for day in WEEKDAYS[:5]})
OFFICE_NL = _hours({day: [["09:00", "17:30"]] for day in WEEKDAYS[:5]}, preset="NL")
EVERY_DAY = {day: [["00:00", "06:00"], ["09:00", "17:00"]] for day in WEEKDAYS}
NIGHT_SHOP = _hours({day: [["00:00", "02:00"], ["22:00", "24:00"]] for day in WEEKDAYS})


# --- The widget's questions -----------------------------------------------------------------


def test_friday_evening_opens_monday_morning() -> None:
    friday_evening = _ams(2026, 1, 9, 18, 0)
    assert not is_open(OFFICE, friday_evening)
    assert next_open(OFFICE, friday_evening) == _ams(2026, 1, 12, 9, 0)
    opens = next_open(OFFICE, friday_evening)
    assert opens == _utc(2026, 1, 12, 8, 0)
    assert opens is not None and opens.tzinfo is UTC


def test_open_moment_is_its_own_next_opening_in_utc() -> None:
    at = _ams(2026, 1, 8, 11, 15)
    assert is_open(OFFICE, at)
    opens = next_open(OFFICE, at)
    assert opens == at
    assert opens is not None and opens.tzinfo is UTC


def test_intervals_are_half_open() -> None:
    assert is_open(OFFICE, _ams(2026, 1, 8, 9, 0))
    assert not is_open(OFFICE, _ams(2026, 1, 8, 8, 59, 59))
    assert is_open(OFFICE, _ams(2026, 1, 8, 17, 29, 59))
    assert not is_open(OFFICE, _ams(2026, 1, 8, 17, 30))
    assert next_open(OFFICE, _ams(2026, 1, 8, 17, 30)) == _ams(2026, 1, 9, 9, 0)


def test_the_moment_may_be_in_any_zone() -> None:
    new_york = ZoneInfo("America/New_York")
    # 08:00 in New York is 14:00 in Amsterdam; 12:00 there is 18:00 here.
    assert is_open(OFFICE, datetime(2026, 1, 8, 8, 0, tzinfo=new_york))
    assert not is_open(OFFICE, datetime(2026, 1, 8, 12, 0, tzinfo=new_york))
    assert next_open(OFFICE, datetime(2026, 1, 8, 12, 0, tzinfo=new_york)) == _ams(2026, 1, 9, 9)


def test_touching_intervals_stay_open_across_the_seam() -> None:
    h = _hours({"mon": [["09:00", "12:00"], ["12:00", "17:00"]]})
    assert is_open(h, _ams(2026, 1, 5, 12, 0))
    assert business_time_between(h, _ams(2026, 1, 5, 0), _ams(2026, 1, 6, 0)) == 8 * H


# --- Holidays -------------------------------------------------------------------------------


def test_christmas_with_the_dutch_preset() -> None:
    # Thursday 24 December 2026 at closing time: Christmas Day is Friday, Boxing Day Saturday.
    evening = _ams(2026, 12, 24, 17, 30)
    assert next_open(OFFICE_NL, evening) == _ams(2026, 12, 28, 9, 0)
    assert not is_open(OFFICE_NL, _ams(2026, 12, 25, 10, 0))
    # Without the preset Christmas is an ordinary Friday.
    assert next_open(OFFICE, evening) == _ams(2026, 12, 25, 9, 0)


def test_dutch_preset_follows_the_holidays_package() -> None:
    assert not is_open(OFFICE_NL, _ams(2026, 4, 6, 10))  # Easter Monday
    assert not is_open(OFFICE_NL, _ams(2026, 4, 27, 10))  # King's Day, a Monday
    assert not is_open(OFFICE_NL, _ams(2026, 5, 14, 10))  # Ascension Day
    assert not is_open(OFFICE_NL, _ams(2026, 1, 1, 10))  # New Year's Day
    # Liberation Day only in lustrum years: closed Monday 5 May 2025, open Tuesday 5 May 2026.
    assert not is_open(OFFICE_NL, _ams(2025, 5, 5, 10))
    assert is_open(OFFICE_NL, _ams(2026, 5, 5, 10))


def test_own_holidays_add_to_the_preset() -> None:
    h = _hours({day: [["09:00", "17:30"]] for day in WEEKDAYS[:5]}, holidays=["2026-05-05"])
    assert not is_open(h, _ams(2026, 5, 5, 10))
    assert next_open(h, _ams(2026, 5, 5, 10)) == _ams(2026, 5, 6, 9)


def test_holiday_closes_its_own_date_only() -> None:
    shop = _hours({day: [["00:00", "02:00"], ["22:00", "24:00"]] for day in WEEKDAYS}, preset="NL")
    assert is_open(shop, _ams(2026, 12, 24, 23, 30))  # Christmas Eve is a working day
    assert not is_open(shop, _ams(2026, 12, 25, 0, 0))  # Christmas night is not
    assert next_open(shop, _ams(2026, 12, 25, 0, 0)) == _ams(2026, 12, 27, 0, 0)


# --- Daylight saving ------------------------------------------------------------------------


def _day_total(h: BusinessHours, day: date, until: time | None = None) -> timedelta:
    start = datetime.combine(day, time(0), tzinfo=AMS)
    end = (
        datetime.combine(day, until, tzinfo=AMS)
        if until is not None
        else datetime.combine(day + timedelta(days=1), time(0), tzinfo=AMS)
    )
    return business_time_between(h, start, end)


def test_spring_forward_2026_03_29() -> None:
    h = _hours(EVERY_DAY)
    # 02:00 CET jumps to 03:00 CEST: 00:00-06:00 lasts 5 real hours, 09:00-17:00 still 8.
    assert _day_total(h, date(2026, 3, 29), until=time(7)) == 5 * H
    assert _day_total(h, date(2026, 3, 29)) == 13 * H
    assert _day_total(h, date(2026, 3, 28)) == 14 * H


def test_fall_back_2026_10_25() -> None:
    h = _hours(EVERY_DAY)
    # 03:00 CEST goes back to 02:00 CET: 00:00-06:00 lasts 7 real hours, 09:00-17:00 still 8.
    assert _day_total(h, date(2026, 10, 25), until=time(7)) == 7 * H
    assert _day_total(h, date(2026, 10, 25)) == 15 * H
    assert _day_total(h, date(2026, 10, 26)) == 14 * H


def test_wall_time_in_the_gap_means_the_jump() -> None:
    # 02:30 does not exist on 2026-03-29; the interval opens when the clocks jump to 03:00.
    h = _hours({"sun": [["02:30", "04:00"]]})
    assert next_open(h, _ams(2026, 3, 29, 1, 30)) == _utc(2026, 3, 29, 1, 0)
    assert next_open(h, _ams(2026, 3, 29, 1, 30)) == _ams(2026, 3, 29, 3, 0)
    assert _day_total(h, date(2026, 3, 29)) == 1 * H
    assert _day_total(h, date(2026, 3, 22)) == 1.5 * H


def test_interval_inside_the_gap_vanishes_that_day() -> None:
    h = _hours({"sun": [["02:00", "02:45"]]})
    assert _day_total(h, date(2026, 3, 29)) == timedelta(0)
    assert next_open(h, _ams(2026, 3, 29, 0, 0)) == _ams(2026, 4, 5, 2, 0)


def test_repeated_wall_time_means_its_first_occurrence() -> None:
    fall_back = date(2026, 10, 25)
    until_half_past_two = _hours({"sun": [["01:00", "02:30"]]})
    assert _day_total(until_half_past_two, fall_back) == 1.5 * H
    assert is_open(until_half_past_two, _utc(2026, 10, 25, 0, 15))  # 02:15 CEST
    assert not is_open(until_half_past_two, _utc(2026, 10, 25, 1, 15))  # 02:15 CET
    whole_hour = _hours({"sun": [["02:00", "03:00"]]})
    assert _day_total(whole_hour, fall_back) == 2 * H  # both passes through 02:xx


def test_weekend_across_spring_forward() -> None:
    friday_close = _ams(2026, 3, 27, 17, 30)
    assert next_open(OFFICE, friday_close) == _ams(2026, 3, 30, 9, 0)
    assert next_open(OFFICE, friday_close) == _utc(2026, 3, 30, 7, 0)
    # A one-hour reply target set at 17:00 on Friday falls due at 09:30 on Monday.
    due = add_business_time(OFFICE, _ams(2026, 3, 27, 17, 0), H)
    assert due == _ams(2026, 3, 30, 9, 30)
    assert business_time_between(OFFICE, _ams(2026, 3, 27, 17, 0), due) == H


def test_always_open_counts_real_time_across_dst() -> None:
    # Aware datetimes sharing a tzinfo subtract as wall clocks; that must not leak through.
    a, b = _ams(2026, 3, 29, 0, 0), _ams(2026, 3, 30, 0, 0)
    assert business_time_between(None, a, b) == 23 * H
    assert add_business_time(None, a, 24 * H) == _ams(2026, 3, 30, 1, 0)
    assert business_time_between(None, b, a) == timedelta(0)
    assert is_open(None, a)
    assert next_open(None, a) == a


def test_a_whole_day_skipped() -> None:
    # Samoa moved across the date line: Friday 30 December 2011 never happened in Apia.
    h = parse_hours({"timezone": "Pacific/Apia", "weekly": {"fri": [["09:00", "17:00"]]}})
    apia = ZoneInfo("Pacific/Apia")
    assert next_open(h, datetime(2011, 12, 29, 18, tzinfo=apia)) == datetime(
        2012, 1, 6, 9, tzinfo=apia
    )


def test_midnight_that_does_not_exist() -> None:
    # Santiago jumps from 24:00 Saturday to 01:00 Sunday on 2026-09-06.
    santiago = ZoneInfo("America/Santiago")
    h = parse_hours(
        {
            "timezone": "America/Santiago",
            "weekly": {"sat": [["22:00", "24:00"]], "sun": [["00:00", "02:00"]]},
        }
    )
    start = datetime(2026, 9, 5, 22, tzinfo=santiago)
    assert business_time_between(h, start, start + 12 * H) == 3 * H
    assert add_business_time(h, start, 2 * H) == _utc(2026, 9, 6, 4, 0)  # the jump itself
    assert is_open(h, _utc(2026, 9, 6, 4, 0))
    assert not is_open(h, _utc(2026, 9, 6, 5, 0))


def test_clocks_back_across_midnight() -> None:
    # Santiago goes back from 24:00 Saturday to 23:00 Saturday on 2026-04-05, so Saturday's
    # 22:00-24:00 lasts three hours and Sunday 00:00 comes after both passes through 23:xx.
    h = parse_hours(
        {
            "timezone": "America/Santiago",
            "weekly": {"sat": [["22:00", "24:00"]], "sun": [["00:00", "02:00"]]},
        }
    )
    assert business_time_between(h, _utc(2026, 4, 4, 0), _utc(2026, 4, 5, 12)) == 5 * H
    assert is_open(h, _utc(2026, 4, 5, 3, 30))  # 23:30 Saturday, second time round
    # The following Saturday is on winter time: 22:00 -04 is 02:00 UTC.
    assert next_open(h, _utc(2026, 4, 5, 6, 0)) == _utc(2026, 4, 12, 2, 0)


# --- 24:00 and a night shop -----------------------------------------------------------------


def test_night_shop_open_across_midnight() -> None:
    assert is_open(NIGHT_SHOP, _ams(2026, 1, 8, 23, 30))
    assert is_open(NIGHT_SHOP, _ams(2026, 1, 9, 0, 0))
    assert is_open(NIGHT_SHOP, _ams(2026, 1, 9, 1, 59))
    assert not is_open(NIGHT_SHOP, _ams(2026, 1, 9, 2, 0))
    assert next_open(NIGHT_SHOP, _ams(2026, 1, 9, 3, 0)) == _ams(2026, 1, 9, 22, 0)
    assert next_open(NIGHT_SHOP, _ams(2026, 1, 8, 23, 59, 59)) == _ams(2026, 1, 8, 23, 59, 59)
    start = _ams(2026, 1, 8, 21, 0)
    assert business_time_between(NIGHT_SHOP, start, _ams(2026, 1, 9, 3, 0)) == 4 * H
    assert add_business_time(NIGHT_SHOP, start, 3 * H) == _ams(2026, 1, 9, 1, 0)
    # The last moment of Thursday's interval runs straight into Friday's.
    assert add_business_time(NIGHT_SHOP, start, 2 * H) == _ams(2026, 1, 9, 0, 0)


def test_24_00_is_end_of_day() -> None:
    assert NIGHT_SHOP.weekly[0] == ((time(0), time(2)), (time(22), END_OF_DAY))
    assert hours_json(NIGHT_SHOP)["weekly"]["mon"] == [["00:00", "02:00"], ["22:00", "24:00"]]
    around_the_clock = _hours({day: [["00:00", "24:00"]] for day in WEEKDAYS})
    week = business_time_between(around_the_clock, _ams(2026, 3, 23), _ams(2026, 3, 30))
    assert week == 7 * 24 * H - H  # the spring-forward week is an hour short
    # Local 01:59:59 CET is followed by 03:00 CEST; open throughout.
    assert is_open(around_the_clock, _utc(2026, 3, 29, 0, 59, 59))
    assert is_open(around_the_clock, _utc(2026, 3, 29, 1, 0))


# --- Arithmetic edges -----------------------------------------------------------------------


def test_sla_due_time_on_an_exact_fill_is_the_closing_time() -> None:
    start = _ams(2026, 1, 8, 9, 0)
    assert add_business_time(OFFICE, start, 8.5 * H) == _ams(2026, 1, 8, 17, 30)
    assert add_business_time(OFFICE, start, 8.5 * H + US) == _ams(2026, 1, 9, 9, 0) + US
    assert add_business_time(OFFICE, start, timedelta(0)) == start


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at must be a timezone-aware datetime"):
        is_open(OFFICE, datetime(2026, 1, 8, 10))
    with pytest.raises(ValueError, match="at must be a timezone-aware datetime"):
        next_open(None, datetime(2026, 1, 8, 10))
    with pytest.raises(ValueError, match="start must be a timezone-aware datetime"):
        add_business_time(OFFICE, datetime(2026, 1, 8, 10), H)
    with pytest.raises(ValueError, match="b must be a timezone-aware datetime"):
        business_time_between(OFFICE, _ams(2026, 1, 8), datetime(2026, 1, 9))
    with pytest.raises(ValueError, match="delta must not be negative"):
        add_business_time(OFFICE, _ams(2026, 1, 8, 10), -H)


def test_hours_that_never_open() -> None:
    closed = _hours({})
    assert not is_open(closed, _ams(2026, 1, 8, 10))
    assert next_open(closed, _ams(2026, 1, 8, 10)) is None
    assert business_time_between(closed, _ams(2026, 1, 1), _ams(2027, 1, 1)) == timedelta(0)
    with pytest.raises(ValueError, match="no open time for 400 days"):
        add_business_time(closed, _ams(2026, 1, 8, 10), H)


def _mondays_closed(count: int) -> BusinessHours:
    first = date(2026, 1, 5)
    days = [(first + timedelta(weeks=i)).isoformat() for i in range(count)]
    h = parse_hours({"timezone": "UTC", "weekly": {"mon": [["00:00", "24:00"]]}, "holidays": days})
    assert h is not None
    return h


def test_next_open_looks_400_days_ahead() -> None:
    h = _mondays_closed(57)  # reopens on Monday 2027-02-08, 400 days after Sunday 2026-01-04
    assert next_open(h, _utc(2026, 1, 4)) == _utc(2026, 1, 4) + HORIZON
    assert next_open(h, _utc(2026, 1, 3, 23, 59)) is None
    assert add_business_time(h, _utc(2026, 1, 4), H) == _utc(2027, 2, 8, 1)
    longer = _mondays_closed(58)
    with pytest.raises(ValueError, match="no open time"):
        add_business_time(longer, _utc(2026, 1, 4), H)
    # Counting needs no horizon: it only looks between its two moments.
    assert business_time_between(longer, _utc(2026, 1, 1), _utc(2027, 2, 16)) == 24 * H


def test_end_of_the_calendar_does_not_crash() -> None:
    friday_evening = datetime(9999, 12, 31, 18, tzinfo=UTC)  # the calendar's last day
    assert next_open(OFFICE, friday_evening) is None
    with pytest.raises(ValueError, match="no open time"):
        add_business_time(OFFICE, datetime(9999, 12, 20, tzinfo=UTC), 100 * H)


# --- JSON and its errors --------------------------------------------------------------------


def test_none_means_always_open() -> None:
    assert parse_hours(None) is None


def test_parse_full_example() -> None:
    data = {
        "timezone": "Europe/Amsterdam",
        "weekly": {
            "mon": [["09:00", "12:00"], ["13:00", "17:30"]],
            "tue": [["09:00", "17:30"]],
            "wed": [["09:00", "17:30"]],
            "thu": [["09:00", "17:30"]],
            "fri": [["09:00", "17:30"]],
            "sat": [["10:00", "14:00"]],
            "sun": [],
        },
        "holidays": ["2026-12-24", "2026-12-31"],
        "preset": "NL",
    }
    h = parse_hours(data)
    assert h == BusinessHours(
        timezone="Europe/Amsterdam",
        weekly=(
            ((time(9), time(12)), (time(13), time(17, 30))),
            *[((time(9), time(17, 30)),)] * 4,
            ((time(10), time(14)),),
            (),
        ),
        holidays=frozenset({date(2026, 12, 24), date(2026, 12, 31)}),
        holiday_preset="NL",
    )
    assert hours_json(h) == data


def test_missing_days_and_optional_fields() -> None:
    h = parse_hours({"timezone": "UTC", "weekly": {"wed": [["10:00", "11:00"]]}})
    assert h == BusinessHours(
        timezone="UTC", weekly=((), (), ((time(10), time(11)),), (), (), (), ())
    )
    assert hours_json(h)["preset"] is None
    nothing = parse_hours({"timezone": "UTC", "weekly": {}, "holidays": None, "preset": None})
    assert nothing == BusinessHours(timezone="UTC", weekly=((),) * 7)


def _with(**change: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"timezone": "Europe/Amsterdam", "weekly": {"mon": [["09:00", "17:00"]]}}
    data.update(change)
    return data


def _monday(*pairs: Any) -> dict[str, Any]:
    return _with(weekly={"mon": list(pairs)})


PARSE_ERRORS: list[tuple[Any, str]] = [
    ([], "business hours: expected an object"),
    ({"weekly": {}}, "timezone: required"),
    ({"timezone": "UTC"}, "weekly: required"),
    (_with(zone="UTC"), "unknown field 'zone' (expected timezone, weekly, holidays, preset)"),
    (_with(timezone="Mars/Olympus"), "timezone: unknown time zone 'Mars/Olympus'"),
    (_with(timezone="europe/amsterdam"), "timezone: unknown time zone 'europe/amsterdam'"),
    (_with(timezone="localtime"), "timezone: unknown time zone 'localtime'"),
    (_with(timezone="/etc/passwd"), "timezone: unknown time zone '/etc/passwd'"),
    (_with(timezone=1), "timezone: unknown time zone 1"),
    (_with(weekly=[]), "weekly: expected an object with keys mon, tue, wed, thu, fri, sat, sun"),
    (
        _with(weekly={"monday": []}),
        "weekly: unknown weekday 'monday' (expected one of mon, tue, wed, thu, fri, sat, sun)",
    ),
    (_with(weekly={"mon": "09:00-17:00"}), "weekly.mon: expected a list of [start, end] pairs"),
    (_monday(["09:00"]), 'weekly.mon[0]: expected a pair ["HH:MM", "HH:MM"], got [\'09:00\']'),
    (
        _monday(["25:00", "26:00"]),
        "weekly.mon[0]: bad time '25:00' (expected HH:MM, 00:00 to 24:00)",
    ),
    (_monday(["09:00", "12:60"]), "weekly.mon[0]: bad time '12:60'"),
    (_monday(["9:00", "17:00"]), "weekly.mon[0]: bad time '9:00'"),
    (_monday(["09:00", "24:30"]), "weekly.mon[0]: bad time '24:30'"),
    (_monday(["09:00:00", "17:00"]), "weekly.mon[0]: bad time '09:00:00'"),
    (_monday(["٠٩:٠٠", "17:00"]), "weekly.mon[0]: bad time '٠٩:٠٠'"),
    (_monday([900, 1700]), "weekly.mon[0]: bad time 900"),
    (_monday(["24:00", "24:00"]), "weekly.mon[0]: 24:00 can only end an interval"),
    (_monday(["17:00", "09:00"]), "weekly.mon[0]: start 17:00 is not before end 09:00"),
    (_monday(["09:00", "09:00"]), "weekly.mon[0]: start 09:00 is not before end 09:00"),
    (
        _monday(["09:00", "13:00"], ["12:00", "17:00"]),
        "weekly.mon[1]: 12:00-17:00 overlaps or comes before 09:00-13:00; "
        "intervals must be sorted and must not overlap",
    ),
    (
        _monday(["13:00", "17:00"], ["09:00", "12:00"]),
        "weekly.mon[1]: 09:00-12:00 overlaps or comes before 13:00-17:00",
    ),
    (
        _monday(*[[f"{h:02d}:00", f"{h:02d}:30"] for h in range(9)]),
        "weekly.mon: at most 8 intervals a day, got 9",
    ),
    (_with(holidays="2026-12-24"), "holidays: expected a list of YYYY-MM-DD dates"),
    (_with(holidays=["2026-02-30"]), "holidays[0]: bad date '2026-02-30' (expected YYYY-MM-DD)"),
    (_with(holidays=["2026-12-24", "20261231"]), "holidays[1]: bad date '20261231'"),
    (_with(holidays=["2026-W52-4"]), "holidays[0]: bad date '2026-W52-4'"),
    (_with(holidays=["2026-12-24T00:00"]), "holidays[0]: bad date '2026-12-24T00:00'"),
    (_with(holidays=[20261224]), "holidays[0]: bad date 20261224"),
    (_with(holidays=["2026-01-01"] * 401), "holidays: at most 400 dates, got 401"),
    (_with(preset="BE"), "preset: unknown holiday preset 'BE' (known: NL)"),
    (_with(preset="nl"), "preset: unknown holiday preset 'nl'"),
]


@pytest.mark.parametrize(("data", "message"), PARSE_ERRORS)
def test_parse_errors_name_the_field(data: Any, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_hours(data)
    assert str(caught.value).startswith(message)


def test_long_bad_values_are_shortened_in_messages() -> None:
    with pytest.raises(ValueError) as caught:
        parse_hours(_with(timezone="x" * 10_000))
    assert len(str(caught.value)) < 100


def test_eight_intervals_and_400_holidays_are_fine() -> None:
    eight = [[f"{h:02d}:00", f"{h:02d}:30"] for h in range(8)]
    first = date(2026, 1, 1)
    days = [(first + timedelta(days=i)).isoformat() for i in range(400)]
    assert parse_hours(_with(weekly={"mon": eight}, holidays=days)) is not None


DIRECT_ERRORS: list[tuple[dict[str, Any], str]] = [
    ({"weekly": ((),) * 6}, "weekly: expected 7 days, Monday to Sunday"),
    (
        {"weekly": (((time(9, 0, 30), time(17)),),) + ((),) * 6},
        "weekly.mon[0]: times must be whole minutes without a time zone",
    ),
    (
        {"weekly": ((),) * 6 + (((time(9, tzinfo=UTC), time(17, tzinfo=UTC)),),)},
        "weekly.sun[0]: times must be whole minutes without a time zone",
    ),
    ({"holidays": frozenset({datetime(2026, 1, 1)})}, "holidays: datetime.datetime(2026, 1, 1"),
    ({"holidays": {date(2026, 1, 1)}}, "holidays: expected a frozenset of dates"),
    ({"holiday_preset": "BE"}, "holiday_preset: unknown preset 'BE' (known: NL)"),
]


@pytest.mark.parametrize(("change", "message"), DIRECT_ERRORS)
def test_construction_validates_too(change: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {"timezone": "UTC", "weekly": ((),) * 7, **change}
    with pytest.raises(ValueError) as caught:
        BusinessHours(**fields)
    assert str(caught.value).startswith(message)


# --- Properties -----------------------------------------------------------------------------

ZONES = [
    "Europe/Amsterdam",
    "America/New_York",
    "America/Santiago",  # clock changes at midnight
    "Australia/Lord_Howe",  # half-hour DST
    "Asia/Kolkata",
    "Pacific/Apia",  # skipped a whole day in 2011
    "UTC",
]


def _quarter(q: int) -> time:
    return END_OF_DAY if q == 96 else time(q // 4, q % 4 * 15)


@st.composite
def _weekly(draw: st.DrawFn) -> tuple[tuple[tuple[time, time], ...], ...]:
    # A few day patterns shared out over the week, like real opening hours (and far fewer
    # draws than seven independent days, which keeps the properties fast). Quarter hours
    # reach every clock change these zones have, the half-hour one of Lord Howe included.
    patterns: list[tuple[tuple[time, time], ...]] = [()]
    for _ in range(3):
        edges = sorted(set(draw(st.lists(st.integers(0, 96), max_size=10))))
        patterns.append(
            tuple((_quarter(edges[i]), _quarter(edges[i + 1])) for i in range(0, len(edges) - 1, 2))
        )
    return tuple(draw(st.sampled_from(patterns)) for _ in range(7))


hours_st = st.builds(
    BusinessHours,
    timezone=st.sampled_from(ZONES),
    weekly=_weekly(),
    holidays=st.frozensets(st.dates(date(2010, 1, 1), date(2030, 12, 31)), max_size=6),
    holiday_preset=st.sampled_from([None, "NL"]),
)
open_hours_st = hours_st.filter(lambda h: any(h.weekly))
# Real instants, shown in one of a few zones (second passes through a repeated hour included).
moments = st.builds(
    datetime.astimezone,
    st.datetimes(datetime(2010, 1, 1), datetime(2030, 6, 30), timezones=st.just(UTC)),
    st.sampled_from([UTC, AMS, ZoneInfo("America/Santiago")]),
)
spans = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))

FAST = settings(max_examples=100, deadline=None)


def _weekly_total(h: BusinessHours) -> timedelta:
    def minutes(t: time) -> int:
        return 1440 if t == END_OF_DAY else t.hour * 60 + t.minute

    return sum(
        (timedelta(minutes=minutes(e) - minutes(s)) for day in h.weekly for s, e in day),
        timedelta(0),
    )


@given(hours_st)
@FAST
def test_json_round_trip(h: BusinessHours) -> None:
    data = json.loads(json.dumps(hours_json(h)))
    assert parse_hours(data) == h
    again = parse_hours(data)
    assert again is not None and hours_json(again) == data


@given(hours_st, moments)
@FAST
def test_is_open_agrees_with_the_wall_clock(h: BusinessHours, at: datetime) -> None:
    """Read the local clock directly; the instant-based answer must match it everywhere
    except in the second pass through a repeated hour, where the rules say first pass.
    And open means open time starts right there."""
    answer = is_open(h, at)
    instant = at.astimezone(UTC)
    assert answer == (business_time_between(h, instant, instant + US) == US)
    local = at.astimezone(h.zone)
    if local.fold:
        return
    day = local.date()
    closed_day = day in h.holidays or (
        h.holiday_preset is not None and day in holidays.country_holidays("NL", years=day.year)
    )
    wall = local.time().replace(tzinfo=None)
    expected = not closed_day and any(
        start <= wall and (end == END_OF_DAY or wall < end)
        for start, end in h.weekly[day.weekday()]
    )
    assert answer == expected


# The properties below do their own arithmetic in UTC: adding to an aware datetime in a zone
# with daylight saving moves its wall clock, not the instant.


@given(hours_st, moments, st.lists(st.integers(1, 999), min_size=3, max_size=6))
@FAST
def test_next_open_is_open_and_nothing_opens_before_it(
    h: BusinessHours, at: datetime, samples: list[int]
) -> None:
    opens = next_open(h, at)
    at = at.astimezone(UTC)
    if opens is None:
        assert business_time_between(h, at, at + HORIZON) == timedelta(0)
        assert not any(is_open(h, at + HORIZON * k // 1000) for k in samples)
        return
    assert at <= opens <= at + HORIZON
    assert is_open(h, opens)
    assert business_time_between(h, at, opens) == timedelta(0)
    if opens > at:
        assert not is_open(h, at)
        assert not is_open(h, opens - US)
        assert not any(is_open(h, at + (opens - at) * k // 1000) for k in samples)


@given(open_hours_st, moments, spans, st.data())
@FAST
def test_add_inverts_between_and_is_monotonic(
    h: BusinessHours, start: datetime, later: timedelta, data: st.DataObject
) -> None:
    most = 3 * _weekly_total(h)
    delta = data.draw(st.timedeltas(min_value=US, max_value=most))
    due = add_business_time(h, start, delta)
    assert due.tzinfo is UTC
    assert due - start >= delta
    assert business_time_between(h, start, due) == delta
    # The earliest such moment: the open time is still running just before it.
    assert is_open(h, due - US)
    assert business_time_between(h, start, due - US) == delta - US
    # More time, or a later start, never gives an earlier due time.
    more = data.draw(st.timedeltas(min_value=delta, max_value=most))
    assert due <= add_business_time(h, start, more)
    assert due <= add_business_time(h, start.astimezone(UTC) + later, delta)


@given(hours_st, moments, spans, spans)
@FAST
def test_between_adds_up_and_grows_with_the_range(
    h: BusinessHours, a: datetime, first: timedelta, second: timedelta
) -> None:
    a = a.astimezone(UTC)
    b, c = a + first, a + first + second
    whole = business_time_between(h, a, c)
    assert whole == business_time_between(h, a, b) + business_time_between(h, b, c)
    assert timedelta(0) <= whole <= c - a
    assert business_time_between(h, c, a) == timedelta(0)
    assert business_time_between(h, a, b) <= whole
    assert business_time_between(h, b, c) <= whole
