"""The agent mandate on its own (C2): limits per role, the decision and its reason, the
calendar month where the agents work, and currencies."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from balie.policy import mandate
from balie.policy.mandate import Limit, decide, default_limit, month_of

REFUND = Limit(per_action_cents=5_000, per_month_cents=50_000, currency="EUR")


def test_each_role_may_give_more_than_the_one_below_it() -> None:
    for kind in mandate.KINDS:
        agent, lead, admin = (default_limit(r, kind) for r in ("agent", "supervisor", "admin"))
        assert agent.per_action_cents < lead.per_action_cents < admin.per_action_cents
        assert agent.per_month_cents < lead.per_month_cents < admin.per_month_cents
        assert agent.per_action_cents <= agent.per_month_cents


def test_an_agent_refunds_50_euros_at_once_and_500_a_month_by_default() -> None:
    assert default_limit("agent", "refund") == REFUND


def test_an_unknown_role_has_no_mandate() -> None:
    assert default_limit("visitor", "refund") == Limit(0, 0)
    assert not decide("visitor", "refund", 1, 0, default_limit("visitor", "refund")).granted


def test_within_both_limits_the_agent_decides_at_once() -> None:
    assert decide("agent", "refund", 3_000, 0, REFUND).granted
    # The limits themselves are included.
    assert decide("agent", "refund", 5_000, 45_000, REFUND).granted


def test_above_the_per_action_limit_needs_approval_and_says_which_limit() -> None:
    verdict = decide("agent", "refund", 8_000, 0, REFUND)
    assert not verdict.granted
    assert verdict.reason == "above your 50.00 EUR per refund"


def test_over_the_month_needs_approval_and_says_what_is_left() -> None:
    verdict = decide("agent", "refund", 2_000, 49_000, REFUND)
    assert not verdict.granted
    assert verdict.reason == "would take you over your 500.00 EUR this month (10.00 EUR left)"


def test_an_amount_in_another_currency_cannot_be_weighed_and_needs_approval() -> None:
    verdict = decide("agent", "refund", 100, 0, REFUND, currency="USD")
    assert not verdict.granted
    assert verdict.reason == "your mandate is in EUR, not USD"
    assert decide("agent", "refund", 100, 0, REFUND, currency="EUR").granted


def test_the_month_is_the_calendar_month_in_amsterdam() -> None:
    # 23:30 UTC on 28 February is 00:30 on 1 March in Amsterdam: March already.
    start, end = month_of(dt.datetime(2026, 2, 28, 23, 30, tzinfo=dt.UTC))
    assert start == dt.datetime(2026, 2, 28, 23, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)  # summer time by then
    # One hour earlier it is still February.
    start, _ = month_of(dt.datetime(2026, 2, 28, 22, 30, tzinfo=dt.UTC))
    assert start == dt.datetime(2026, 1, 31, 23, 0, tzinfo=dt.UTC)


def test_december_runs_into_january_of_the_next_year() -> None:
    start, end = month_of(dt.datetime(2026, 12, 31, 22, 59, tzinfo=dt.UTC))
    assert (start, end) == (
        dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize("code", ["eur", "EU", "EURO", "XYZ", "E1R", ""])
def test_a_currency_is_an_iso_4217_code_in_capitals(code: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        mandate.check_currency(code)


def test_known_currencies_pass() -> None:
    assert [mandate.check_currency(c) for c in ("EUR", "USD", "GBP")] == ["EUR", "USD", "GBP"]


@pytest.mark.parametrize("value", [-1, mandate.MAX_CENTS + 1, True, 1.5, "80"])
def test_amounts_are_whole_cents_within_bounds(value: object) -> None:
    with pytest.raises(ValueError):
        mandate.check_cents(value)  # type: ignore[arg-type]


def test_money_is_written_with_cents_and_currency() -> None:
    assert mandate.money(8_000, "EUR") == "80.00 EUR"
    assert mandate.money(5, "USD") == "0.05 USD"


def test_the_policy_imports_nothing_from_the_web_or_the_database() -> None:
    probe = (
        "import sys, balie.policy.mandate, balie.policy.suggestions\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'fastapi', 'starlette', 'aiosqlite', 'psycopg')"
        " or m.startswith(('balie.store', 'balie.web', 'balie.api'))]\n"
        "print(','.join(bad))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("80", 8_000), ("€ 7,50", 750), ("1.250,00", 125_000), ("1,250.00", 125_000)],
)
def test_typed_euros_are_read_one_way_everywhere(typed: str, cents: int) -> None:
    assert mandate.parse_euros(typed) == cents


def test_typed_euros_have_one_maximum() -> None:
    assert mandate.parse_euros("10.000.000") == mandate.MAX_CENTS
    with pytest.raises(mandate.BadAmount, match="far beyond"):
        mandate.parse_euros("10.000.000,01")
    with pytest.raises(mandate.BadAmount, match="like 80,00"):
        mandate.parse_euros("tachtig")
