"""Agent mandate: how much goodwill a role may grant at once, without asking. Pure.

A limit has two parts: the most one action may be worth, and the most all of an agent's
actions of that kind may add up to in one calendar month (where the agents work). Within
both, the agent decides on the spot (C2: no "the back office will look into it"); above
either, the action waits for a supervisor, and the reason says which limit it passed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal, get_args

from babel.numbers import is_currency

from balie.agents.roles import ROLES
from balie.zone import LOCAL_ZONE

Kind = Literal[
    "refund",
    "credit",
    "cancel_order_line",
    "waive_fee",
    "price_match",
    "replacement",
    "loan_device",
]
KINDS: tuple[str, ...] = get_args(Kind)
# What an amount may be at most, in cents: ten million in any currency is not goodwill.
MAX_CENTS = 1_000_000_000
DEFAULT_CURRENCY = "EUR"
_CURRENCY = re.compile(r"[A-Z]{3}")

# How people say each kind in a sentence ("above your 50.00 EUR per refund").
NOUNS: dict[str, str] = {
    "refund": "refund",
    "credit": "credit",
    "cancel_order_line": "cancelled order line",
    "waive_fee": "waived fee",
    "price_match": "price match",
    "replacement": "replacement",
    "loan_device": "loan device",
}


@dataclass(frozen=True)
class Limit:
    per_action_cents: int
    per_month_cents: int
    currency: str = DEFAULT_CURRENCY


@dataclass(frozen=True)
class Decision:
    granted: bool
    reason: str


# Without a configured row: an agent's own room for gestures, a supervisor's larger, an
# admin's larger still. A replacement or loan device counts at the value of the goods.
_EUROS: dict[str, tuple[int, int]] = {
    # kind: (per action, per month) for an agent, in whole euros
    "refund": (50, 500),
    "credit": (25, 250),
    "cancel_order_line": (100, 1_000),
    "waive_fee": (25, 250),
    "price_match": (50, 500),
    "replacement": (300, 1_500),
    "loan_device": (500, 2_500),
}
_ROLE_FACTOR: dict[str, int] = {"agent": 1, "supervisor": 10, "admin": 40}

DEFAULT_LIMITS: dict[tuple[str, str], Limit] = {
    (role, kind): Limit(per_action * 100 * _ROLE_FACTOR[role], per_month * 100 * _ROLE_FACTOR[role])
    for role in ROLES
    for kind, (per_action, per_month) in _EUROS.items()
}


def default_limit(role: str, kind: str) -> Limit:
    """The built-in limit; an unknown role has no mandate at all."""
    return DEFAULT_LIMITS.get((role, kind), Limit(0, 0))


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    return kind


def check_cents(value: int, name: str = "amount_cents") -> int:
    # bool is an int to Python; True cents is a mistake, not one cent.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number of cents")
    if not 0 <= value <= MAX_CENTS:
        raise ValueError(f"{name} must be between 0 and {MAX_CENTS}")
    return value


def check_currency(code: str) -> str:
    """An ISO 4217 code as written: three upper-case letters of a currency that exists."""
    if not _CURRENCY.fullmatch(code) or not is_currency(code):
        raise ValueError("currency must be an ISO 4217 code of three upper-case letters, like EUR")
    return code


_AMOUNT = re.compile(r"(\d{1,10}(?:[.,]\d{3})*)(?:[.,](\d{1,2}))?")


class BadAmount(ValueError):
    """An amount a person typed that is not one: ``args[0]`` says what to type instead."""


def parse_euros(text: str) -> int:
    """Euros as people type them, into cents: "80", "80,00", "80.5", "€ 1.250,00" or
    "1,250.00". A separator followed by three digits groups thousands; one followed by
    one or two digits starts the cents. The one reader of typed amounts in Balie (the
    goodwill form and the macro form), with the one maximum, ``MAX_CENTS``."""
    cleaned = text.strip().removeprefix("€").replace(" ", "").replace("\u00a0", "")
    found = _AMOUNT.fullmatch(cleaned)
    if not cleaned or found is None:
        raise BadAmount("Write the amount in euros, like 80,00 or 80.00.")
    whole = int(re.sub(r"[.,]", "", found.group(1)))
    cents = int((found.group(2) or "0").ljust(2, "0"))
    total = whole * 100 + cents
    if total > MAX_CENTS:
        raise BadAmount("That amount is far beyond any goodwill.")
    return total


def money(cents: int, currency: str) -> str:
    """An amount as the reasons write it: "50.00 EUR"."""
    return f"{cents // 100}.{cents % 100:02d} {currency}"


def decide(
    role: str,
    kind: str,
    amount_cents: int,
    spent_this_month_cents: int,
    limit: Limit,
    *,
    currency: str | None = None,
) -> Decision:
    """May ``role`` grant this at once? ``spent_this_month_cents`` is what the same person
    granted of this kind this month, in the limit's currency. An amount in another
    currency cannot be weighed against the limit, so it needs approval."""
    noun = NOUNS.get(kind, kind)
    if currency is not None and currency != limit.currency:
        return Decision(False, f"your mandate is in {limit.currency}, not {currency}")
    if amount_cents > limit.per_action_cents:
        return Decision(
            False, f"above your {money(limit.per_action_cents, limit.currency)} per {noun}"
        )
    if spent_this_month_cents + amount_cents > limit.per_month_cents:
        left = max(0, limit.per_month_cents - spent_this_month_cents)
        return Decision(
            False,
            f"would take you over your {money(limit.per_month_cents, limit.currency)} "
            f"this month ({money(left, limit.currency)} left)",
        )
    return Decision(True, f"within your mandate as {role}")


def month_of(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The calendar month (in the agents' zone) holding ``now``, as a UTC start (included)
    and end (excluded): at 00:30 on 1 March in Amsterdam it is March, though UTC says
    February."""
    local = now.astimezone(LOCAL_ZONE)
    start = dt.datetime(local.year, local.month, 1, tzinfo=LOCAL_ZONE)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    end = dt.datetime(year, month, 1, tzinfo=LOCAL_ZONE)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)
