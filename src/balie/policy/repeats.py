"""Repeat issues (E2): the same customer about the same order or product again. Pure.

A conversation is a repeat when, counting itself, the customer has contacted us ``count``
times within ``window_days`` about the same order or the same product. The third contact
about a washing machine that keeps leaking says more than any single message: the answer
should move from another repair to a replacement or a refund.

Only earlier contacts count (a conversation is judged as of its own start), and the window
is inclusive: a contact exactly ``window_days`` earlier still counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_COUNT = 3
DEFAULT_WINDOW_DAYS = 180


@dataclass(frozen=True)
class RepeatRule:
    """How many contacts (``count``, this one included) within ``window_days`` make a repeat."""

    count: int = DEFAULT_COUNT
    window_days: int = DEFAULT_WINDOW_DAYS

    def __post_init__(self) -> None:
        if self.count < 2:
            raise ValueError("a repeat needs at least 2 contacts")
        if self.window_days < 1:
            raise ValueError("the repeat window is at least 1 day")


@dataclass(frozen=True)
class Contact:
    """One conversation as repeat detection sees it."""

    id: int
    created_at: dt.datetime
    order_id: int | None
    product_id: int | None


@dataclass(frozen=True)
class Verdict:
    is_repeat: bool
    # The earlier contacts about the same order or product within the window, oldest first.
    earlier: tuple[int, ...]


def same_subject(new: Contact, other: Contact) -> bool:
    """About the same order, or the same product (another order of the same model counts:
    a replaced machine that breaks again is the same problem to the customer)."""
    same_order = new.order_id is not None and other.order_id == new.order_id
    same_product = new.product_id is not None and other.product_id == new.product_id
    return same_order or same_product


def judge(new: Contact, earlier: Iterable[Contact], rule: RepeatRule | None = None) -> Verdict:
    """Whether ``new`` is a repeat given the customer's other conversations ``earlier``
    (any order; later ones and ``new`` itself are ignored)."""
    rule = rule or RepeatRule()
    window = dt.timedelta(days=rule.window_days)
    counted = sorted(
        (
            c
            for c in earlier
            if c.id != new.id
            and (c.created_at, c.id) < (new.created_at, new.id)
            and new.created_at - c.created_at <= window
            and same_subject(new, c)
        ),
        key=lambda c: (c.created_at, c.id),
    )
    return Verdict(len(counted) + 1 >= rule.count, tuple(c.id for c in counted))
