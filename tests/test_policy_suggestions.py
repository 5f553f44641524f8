"""What to offer (A3, A5, E2), on its own: entitlement, severity and repeat decide;
nothing about the customer's temper can even be passed in."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest

from balie.policy.suggestions import Entitlement, Suggestion, entitlement, suggest

TODAY = dt.date(2026, 12, 1)
BOUGHT = dt.date(2024, 10, 31)


def kinds(found: list[Suggestion]) -> list[str]:
    return [s.kind for s in found]


def test_entitlement_counts_days_left_or_days_since_the_warranty_ended() -> None:
    assert entitlement(BOUGHT, dt.date(2026, 10, 31), TODAY) == Entitlement(
        "expired", BOUGHT, dt.date(2026, 10, 31), 31
    )
    assert entitlement(BOUGHT, dt.date(2026, 12, 1), TODAY).state == "in_warranty"
    assert entitlement(BOUGHT, dt.date(2026, 12, 11), TODAY).days == 10
    assert entitlement(None, None, TODAY) == Entitlement("no_order")


def test_in_warranty_the_warranty_repairs_it() -> None:
    held = entitlement(BOUGHT, dt.date(2027, 1, 1), TODAY)
    assert kinds(suggest(held, "normal", False)) == ["repair"]
    assert kinds(suggest(held, "high", False)) == ["repair", "loan_device"]


def test_a_repeat_moves_from_another_repair_to_replacement_or_refund() -> None:
    held = entitlement(BOUGHT, dt.date(2027, 1, 1), TODAY)
    assert kinds(suggest(held, "normal", True)) == ["replacement", "refund"]
    assert "repair" not in kinds(suggest(held, "high", True))


def test_just_expired_suggests_a_contribution_that_falls_with_time() -> None:
    def share(days: int) -> int | None:
        held = Entitlement("expired", BOUGHT, TODAY - dt.timedelta(days=days), days)
        found = suggest(held, "normal", False)
        assert kinds(found) == ["credit"]
        return found[0].percent

    assert [share(10), share(31), share(120)] == [75, 50, 25]
    long_ago = Entitlement("expired", BOUGHT, TODAY - dt.timedelta(days=400), 400)
    assert suggest(long_ago, "normal", False) == [Suggestion("credit", "long_expired_credit")]


def test_expired_and_repeating_offers_a_replacement_with_a_contribution() -> None:
    held = Entitlement("expired", BOUGHT, TODAY - dt.timedelta(days=31), 31)
    assert suggest(held, "normal", True)[0] == Suggestion(
        "replacement", "expired_repeat_replace", 50
    )


@pytest.mark.parametrize(
    "held",
    [
        Entitlement("in_warranty", BOUGHT, TODAY, 0),
        Entitlement("expired", BOUGHT, TODAY, 700),
        Entitlement("no_order"),
    ],
)
def test_a_critical_case_gets_a_generous_gesture_whatever_the_warranty(
    held: Entitlement,
) -> None:
    assert kinds(suggest(held, "critical", False)) == ["replacement", "refund", "credit"]


def test_without_an_order_a_small_credit_while_asking_for_it() -> None:
    assert suggest(Entitlement("no_order"), "normal", False) == [
        Suggestion("credit", "no_order_credit")
    ]


def test_shouting_never_buys_more_the_temper_is_not_an_input() -> None:
    # A3: the function cannot be told how angry or abusive the customer was...
    assert list(inspect.signature(suggest).parameters) == ["entitlement", "severity", "repeat"]
    with pytest.raises(TypeError):
        suggest(Entitlement("no_order"), "normal", False, abusive=True)  # type: ignore[call-arg]
