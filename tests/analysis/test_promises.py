"""C4. Promises in replies get a due time the agent is held to, across weekends too."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from balie.analysis.coach import coach
from balie.analysis.model import ReplyContext
from balie.analysis.promises import find_promises

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FRIDAY_3PM = dt.datetime(2026, 11, 20, 15, 0, tzinfo=AMSTERDAM)
MONDAY_9AM = dt.datetime(2026, 11, 23, 9, 0, tzinfo=AMSTERDAM)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=AMSTERDAM)


def due(draft: str, now: dt.datetime = FRIDAY_3PM) -> list[dt.datetime | None]:
    return [p.due for p in coach(draft, ReplyContext(now=now)).promises]


@pytest.mark.parametrize(
    ("draft", "expected"),
    [
        # Dutch
        ("U ontvangt morgen voor 12:00 een nieuwe laptop.", at(21, 12)),
        ("Ik bel u vandaag nog.", at(20, 17)),
        ("Het geld staat binnen 2 werkdagen op uw rekening.", at(24, 15)),  # skips the weekend
        ("Binnen een uur heeft u antwoord.", at(20, 16)),
        ("Uiterlijk vrijdag heeft u het.", at(20, 17)),
        ("Volgende week komt de monteur langs.", at(27, 17)),
        ("U ontvangt binnen 48 uur een e-mail.", at(22, 15)),
        ("Wij bellen u maandag om 10:00 uur.", at(23, 10)),
        # English
        ("You will hear from us within 3 working days.", at(25, 15)),
        ("I will call you back within the hour.", at(20, 16)),
        ("We will send it by Friday.", at(20, 17)),
        ("A technician will visit next week.", at(27, 17)),
        ("I'll call you back this afternoon.", at(20, 17)),
        ("You'll have the replacement tomorrow morning.", at(21, 12)),
        ("You will receive an e-mail within 2 days.", at(22, 15)),
    ],
)
def test_promises_fall_due_on_friday_afternoon(draft: str, expected: dt.datetime) -> None:
    assert due(draft) == [expected]


def test_working_days_skip_the_weekend_from_saturday() -> None:
    saturday = at(21, 11)
    assert due("We will reply within 1 working day.", saturday) == [at(23, 11)]
    assert due("Binnen 3 werkdagen hoort u van ons.", saturday) == [at(25, 11)]


def test_by_friday_on_a_monday_is_this_friday_and_next_week_is_the_friday_after() -> None:
    assert due("We will send it by Friday.", MONDAY_9AM) == [at(27, 17)]
    assert due("Volgende week krijgt u hem.", MONDAY_9AM) == [
        dt.datetime(2026, 12, 4, 17, tzinfo=AMSTERDAM)
    ]


def test_today_after_office_hours_is_the_end_of_the_day() -> None:
    evening = at(20, 18, 30)
    assert due("Ik stuur het vandaag nog.", evening) == [at(20, 23, 59)]


def test_hours_are_elapsed_time_across_a_clock_change() -> None:
    # The night of 25 October 2026 the clocks in Amsterdam go back an hour.
    before = dt.datetime(2026, 10, 24, 12, 0, tzinfo=AMSTERDAM)
    [deadline] = due("U ontvangt binnen 24 uur een e-mail.", before)
    assert deadline is not None
    assert deadline.hour == 11  # 24 hours later the wall clock reads an hour earlier
    assert deadline.astimezone(dt.UTC) == before.astimezone(dt.UTC) + dt.timedelta(hours=24)


def test_the_promise_is_the_sentence_and_points_into_the_draft() -> None:
    draft = "Het spijt me. U ontvangt binnen 48 uur een e-mail. Fijne dag!"
    [promise] = coach(draft, ReplyContext(now=FRIDAY_3PM)).promises
    assert promise.text == "U ontvangt binnen 48 uur een e-mail."
    assert draft[promise.start : promise.end] == promise.text


def test_without_now_promises_are_found_without_a_due_time() -> None:
    promises = find_promises("I'll call you back this afternoon.", "en", None)
    assert [(p.text, p.due) for p in promises] == [("I'll call you back this afternoon.", None)]


@pytest.mark.parametrize(
    "draft",
    [
        "Could you reply within 3 days?",
        "Wilt u de foto's binnen een week sturen?",
        "Please send us the receipt by Friday.",
        "Thank you for writing to us today.",
        "Uw pakket is gisteren bezorgd.",
        "The repair costs 12.00 euro.",
        "Our records show you bought it on a Friday.",
    ],
)
def test_questions_requests_and_the_past_are_not_promises(draft: str) -> None:
    assert due(draft) == []


@pytest.mark.parametrize(
    ("draft", "expected"),
    [
        ("De monteur komt dinsdagochtend.", at(24, 12)),
        ("We will get back to you within 24-48 hours.", at(22, 15)),
        ("Binnen 3-5 werkdagen staat het geld op uw rekening.", at(27, 15)),
        ("Early next week you will receive it.", at(24, 17)),
        ("Thanks for your patience, I'll call you tomorrow.", at(21, 17)),
        ("The parcel was lost, so I'll send a new one tomorrow.", at(21, 17)),
    ],
)
def test_parts_of_days_ranges_and_thanks(draft: str, expected: dt.datetime) -> None:
    assert due(draft) == [expected]


@pytest.mark.parametrize(
    "draft",
    [
        "I'll call you back.",
        "We will look into it as soon as possible.",
        "Ik zoek het voor u uit en laat het u weten.",
        "Wij nemen zo snel mogelijk contact met u op.",
    ],
)
def test_a_commitment_without_a_time_is_a_promise_without_a_due_time(draft: str) -> None:
    assert due(draft) == [None]


def test_what_is_done_now_is_no_promise() -> None:
    assert due("Ik stuur u hierbij de factuur.") == []
