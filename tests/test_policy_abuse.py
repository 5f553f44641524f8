"""The abuse policy alone: plain numbers, times and languages in, decisions and sentences
out."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from balie.policy import abuse

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("warnings", "limit", "may_end", "to_go"),
    [(0, 2, False, 2), (1, 2, False, 1), (2, 2, True, 0), (5, 2, True, 0), (1, 1, True, 0)],
)
def test_the_chat_may_end_once_the_warnings_reach_the_limit(
    warnings: int, limit: int, may_end: bool, to_go: int
) -> None:
    assert abuse.may_end_chat(warnings, limit) is may_end
    assert abuse.warnings_to_go(warnings, limit) == to_go


def test_a_supervisor_may_always_block_an_agent_only_after_the_limit() -> None:
    assert abuse.may_block(0, 2, is_lead=True)
    assert not abuse.may_block(1, 2, is_lead=False)
    assert abuse.may_block(2, 2, is_lead=False)


@pytest.mark.parametrize("days", [1, 7, 30, 365])
def test_periods_from_a_day_to_a_year_are_allowed(days: int) -> None:
    assert abuse.block_days_error(days) is None
    assert abuse.blocked_until(NOW, days) == NOW + dt.timedelta(days=days)


@pytest.mark.parametrize("days", [-1, 0, 366, 10_000])
def test_other_periods_are_refused_with_the_range(days: int) -> None:
    assert abuse.block_days_error(days) == "A block lasts 1 to 365 days."


def test_a_block_holds_until_its_end_and_not_after() -> None:
    until = NOW + dt.timedelta(days=1)
    assert abuse.is_blocked(until, NOW)
    assert not abuse.is_blocked(until, until)
    assert not abuse.is_blocked(None, NOW)


def test_a_reason_is_required_and_bounded() -> None:
    assert abuse.reason_error("  ") is not None
    assert abuse.reason_error("x" * 501) is not None
    assert abuse.reason_error("Bleef schelden") is None
    assert abuse.reason_error("", required=False) is None


def test_the_customer_hears_the_boundary_and_the_ending_in_their_language() -> None:
    assert abuse.boundary_text("nl") == (
        "Ik wil u graag helpen, en dat lukt het best als we het gesprek respectvol houden."
    )
    assert abuse.boundary_text("en") == (
        "I want to help you, and I can do that best if we keep this respectful."
    )
    assert abuse.end_text("nl").startswith("Omdat het gesprek niet respectvol bleef")
    assert abuse.language_of(None, "de", "nl") == "nl"
    assert abuse.language_of(None) == "en"


def test_a_blocked_customer_is_told_until_when_in_local_time_and_that_mail_arrives() -> None:
    until = dt.datetime(2026, 12, 8, 11, 30, tzinfo=dt.UTC)
    assert abuse.blocked_notice(until, "nl", AMSTERDAM) == (
        "U kunt tot 08-12-2026 12:30 geen nieuwe chat starten. E-mail aan ons komt wel aan."
    )
    assert "until 2026-12-08 12:30" in abuse.blocked_notice(until, "en", AMSTERDAM)


def test_a_new_warning_waits_for_the_customer_to_write_after_the_last_one() -> None:
    assert abuse.may_warn_again(None, None) is True  # the first warning
    assert abuse.may_warn_again(None, 3) is True
    assert abuse.may_warn_again(4, None) is False
    assert abuse.may_warn_again(4, 3) is False  # the customer wrote before it, not after
    assert abuse.may_warn_again(4, 5) is True


def test_one_rule_for_the_customers_language_in_every_room() -> None:
    from types import SimpleNamespace

    from balie.languages import language_of

    def of(conversation: str | None, customer: str | None) -> str:
        return language_of(
            SimpleNamespace(language=conversation),  # type: ignore[arg-type]
            SimpleNamespace(language=customer),  # type: ignore[arg-type]
        )

    assert of("nl", "en") == "nl"  # the conversation's first
    assert of(None, "en") == "en"  # then the customer's
    assert of("de", "nl") == "nl"  # a language Balie does not speak is skipped
    assert of(None, None) == "en"
    assert abuse.language_of is not None and abuse.language_of("de", "nl") == "nl"
