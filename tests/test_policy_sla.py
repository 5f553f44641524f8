"""The SLA rules alone: due times from a policy, business hours and a conversation's facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from balie.hours import BusinessHours, parse_hours
from balie.policy.sla import (
    DEFAULTS,
    Due,
    Facts,
    Targets,
    due_times,
    overdue_by,
    paused_time,
    targets_error,
)

AMS = ZoneInfo("Europe/Amsterdam")


def office() -> BusinessHours:
    week = [["09:00", "17:00"]]
    hours = parse_hours(
        {
            "timezone": "Europe/Amsterdam",
            "weekly": {d: week for d in ("mon", "tue", "wed", "thu", "fri")},
            "preset": "NL",
        }
    )
    assert hours is not None
    return hours


def ams(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


def facts(created: datetime, **over: object) -> Facts:
    base: dict[str, object] = {
        "created_at": created,
        "status": "open",
        "severity": "normal",
        "first_response_at": None,
        "awaiting_since": created,
        "history": (),
    }
    base.update(over)
    return Facts(**base)  # type: ignore[arg-type]


FRIDAY_4PM = ams(11, 27, 16)  # Friday 27 November 2026


def test_friday_afternoon_mail_is_due_monday_in_business_hours() -> None:
    due = due_times(DEFAULTS["normal"], office(), facts(FRIDAY_4PM), FRIDAY_4PM)
    # One hour on Friday, seven on Monday.
    assert due.first_response_due_at == ams(11, 30, 16)
    # Five business days of eight hours: Friday's hour, then to Friday 4 December 16:00.
    assert due.resolution_due_at == ams(12, 4, 16)
    assert due.next_response_due_at is None


def test_critical_counts_around_the_clock_even_when_the_inbox_is_closed() -> None:
    saturday_night = ams(11, 28, 23)
    due = due_times(
        DEFAULTS["critical"], office(), facts(saturday_night, severity="critical"), saturday_night
    )
    assert due.first_response_due_at == saturday_night + timedelta(minutes=30)
    assert due.resolution_due_at == saturday_night + timedelta(days=1)


def test_no_hours_means_always_open() -> None:
    due = due_times(Targets(60, 60, 120), None, facts(FRIDAY_4PM), FRIDAY_4PM)
    assert due == Due(FRIDAY_4PM + timedelta(hours=1), None, FRIDAY_4PM + timedelta(hours=2))


def test_christmas_does_not_count() -> None:
    christmas_eve = ams(12, 24, 16)
    due = due_times(Targets(120, 120, 480), office(), facts(christmas_eve), christmas_eve)
    # One hour on the 24th; the 25th, 26th (holidays) and the weekend 26-27 do not count.
    assert due.first_response_due_at == ams(12, 28, 10)


@pytest.mark.parametrize("status", ["pending", "snoozed", "resolved"])
def test_waiting_on_the_customer_snoozed_or_resolved_stops_every_clock(status: str) -> None:
    history = [(FRIDAY_4PM + timedelta(minutes=5), status)]
    due = due_times(
        DEFAULTS["normal"], office(), facts(FRIDAY_4PM, status=status, history=history), FRIDAY_4PM
    )
    assert due == Due()


def test_an_answered_conversation_keeps_only_the_resolution_clock() -> None:
    later = FRIDAY_4PM + timedelta(minutes=20)
    f = facts(FRIDAY_4PM, first_response_at=later, awaiting_since=None)
    due = due_times(DEFAULTS["normal"], office(), f, later)
    assert due.first_response_due_at is None and due.next_response_due_at is None
    assert due.resolution_due_at == ams(12, 4, 16)


def test_a_new_question_after_an_answer_starts_the_next_response_clock() -> None:
    monday_10 = ams(11, 30, 10)
    f = facts(FRIDAY_4PM, first_response_at=FRIDAY_4PM, awaiting_since=monday_10)
    due = due_times(Targets(60, 240, 2400), office(), f, monday_10)
    assert due.first_response_due_at is None
    assert due.next_response_due_at == ams(11, 30, 14)


def test_time_spent_waiting_on_the_customer_is_given_back_to_the_resolution_clock() -> None:
    monday_9 = ams(11, 30, 9)
    # Pending from Monday 10:00 to Tuesday 10:00: eight business hours paused.
    history = [(ams(11, 30, 10), "pending"), (ams(12, 1, 10), "open")]
    f = facts(monday_9, first_response_at=ams(11, 30, 9, 30), awaiting_since=None, history=history)
    due = due_times(Targets(60, 60, 16 * 60), office(), f, ams(12, 1, 10))
    # Sixteen business hours from Monday 9:00 would be Tuesday 17:00; plus eight paused.
    assert due.resolution_due_at == ams(12, 2, 17)


def test_paused_time_counts_only_pauses_inside_the_range() -> None:
    created = ams(11, 30, 9)
    history = [
        (ams(11, 30, 10), "snoozed"),
        (ams(11, 30, 12), "open"),
        (ams(11, 30, 14), "pending"),
        (ams(11, 30, 15), "open"),
    ]
    assert paused_time(None, created, history, created, ams(11, 30, 16)) == timedelta(hours=3)
    assert paused_time(None, created, history, ams(11, 30, 11), ams(11, 30, 16)) == timedelta(
        hours=2
    )
    # Still paused at the end: counted up to ``until``.
    assert paused_time(None, created, history[:3], created, ams(11, 30, 16)) == timedelta(hours=4)


def test_a_pause_before_the_customer_wrote_again_does_not_extend_the_next_answer() -> None:
    created = ams(11, 30, 9)
    history = [(ams(11, 30, 10), "pending"), (ams(11, 30, 12), "open")]
    f = facts(
        created,
        first_response_at=ams(11, 30, 9, 30),
        awaiting_since=ams(11, 30, 12),
        history=history,
    )
    due = due_times(Targets(60, 60, 480), None, f, ams(11, 30, 12))
    assert due.next_response_due_at == ams(11, 30, 13)
    assert due.resolution_due_at == ams(11, 30, 19)  # eight hours plus two paused


@pytest.mark.parametrize(
    ("minutes", "field"),
    [
        ((0, 60, 60), "first_response_minutes"),
        ((60, -5, 60), "next_response_minutes"),
        ((60, 60, 10**9), "resolution_minutes"),
        ((True, 60, 60), "first_response_minutes"),
        ((60, "60", 60), "next_response_minutes"),
        ((120, 60, 60), "resolution_minutes"),  # resolution shorter than the first answer
    ],
)
def test_bad_targets_are_named(minutes: tuple[object, object, object], field: str) -> None:
    problem = targets_error(*minutes)
    assert problem is not None and problem[0] == field


def test_good_targets_pass() -> None:
    assert targets_error(30, 60, 1440) is None


def test_overdue_by() -> None:
    assert overdue_by(None, FRIDAY_4PM) is None
    assert overdue_by(FRIDAY_4PM + timedelta(seconds=1), FRIDAY_4PM) is None
    assert overdue_by(FRIDAY_4PM, FRIDAY_4PM + timedelta(minutes=25)) == timedelta(minutes=25)


def test_an_inbox_that_never_opens_has_no_business_clock_to_run_out() -> None:
    # Set up to take messages only (a callback form outside hours, say): no target can fall
    # due in business time, so no clock runs, and nothing fails for the customer.
    never = parse_hours({"timezone": "Europe/Amsterdam", "weekly": {}, "holidays": []})
    assert never is not None
    due = due_times(DEFAULTS["normal"], never, facts(FRIDAY_4PM), FRIDAY_4PM)
    assert due == Due()
    # Critical counts around the clock whatever the hours say.
    critical = due_times(
        DEFAULTS["critical"], never, facts(FRIDAY_4PM, severity="critical"), FRIDAY_4PM
    )
    assert critical.first_response_due_at == FRIDAY_4PM + timedelta(minutes=30)
