"""Repeat detection alone: the N-th contact about the same order or product within the
window is a repeat; fewer, older or unrelated contacts are not."""

from __future__ import annotations

import datetime as dt

import pytest

from balie.policy.repeats import Contact, RepeatRule, judge

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def contact(
    id: int, days_ago: float, *, order: int | None = None, product: int | None = None
) -> Contact:
    return Contact(id, NOW - dt.timedelta(days=days_ago), order, product)


def test_the_third_contact_about_one_order_is_a_repeat_and_names_the_earlier_two() -> None:
    earlier = [contact(2, 40, order=7, product=1), contact(1, 90, order=7, product=1)]
    verdict = judge(contact(3, 0, order=7, product=1), earlier)
    assert verdict.is_repeat
    assert verdict.earlier == (1, 2)  # oldest first


def test_the_second_contact_is_not_yet_a_repeat() -> None:
    verdict = judge(contact(2, 0, order=7), [contact(1, 10, order=7)])
    assert not verdict.is_repeat
    assert verdict.earlier == (1,)


def test_the_same_product_on_another_order_counts() -> None:
    # The replacement machine breaks too: to the customer it is the same problem.
    earlier = [contact(1, 100, order=5, product=9), contact(2, 50, order=6, product=9)]
    assert judge(contact(3, 0, order=8, product=9), earlier).is_repeat


def test_the_same_order_counts_when_the_product_is_not_known() -> None:
    earlier = [contact(1, 100, order=5), contact(2, 50, order=5, product=9)]
    assert judge(contact(3, 0, order=5), earlier).is_repeat


def test_other_orders_and_products_do_not_count() -> None:
    earlier = [contact(1, 10, order=1, product=1), contact(2, 5, order=2, product=2)]
    verdict = judge(contact(3, 0, order=3, product=3), earlier)
    assert not verdict.is_repeat
    assert verdict.earlier == ()


def test_a_conversation_about_nothing_is_never_a_repeat() -> None:
    earlier = [contact(1, 10), contact(2, 5)]
    assert not judge(contact(3, 0), earlier).is_repeat


def test_a_contact_exactly_at_the_window_edge_counts_and_one_second_older_does_not() -> None:
    rule = RepeatRule(count=3, window_days=180)
    edge = Contact(1, NOW - dt.timedelta(days=180), 7, None)
    too_old = Contact(1, NOW - dt.timedelta(days=180, seconds=1), 7, None)
    middle = contact(2, 30, order=7)
    assert judge(contact(3, 0, order=7), [edge, middle], rule).is_repeat
    assert not judge(contact(3, 0, order=7), [too_old, middle], rule).is_repeat


def test_later_conversations_and_the_conversation_itself_do_not_count() -> None:
    new = contact(3, 10, order=7)
    later = [contact(4, 5, order=7), contact(5, 1, order=7), new]
    verdict = judge(new, later)
    assert not verdict.is_repeat
    assert verdict.earlier == ()


def test_the_count_and_window_are_configurable() -> None:
    earlier = [contact(1, 20, product=4)]
    assert judge(contact(2, 0, product=4), earlier, RepeatRule(count=2, window_days=30)).is_repeat
    assert not judge(
        contact(2, 0, product=4), earlier, RepeatRule(count=2, window_days=10)
    ).is_repeat
    assert not judge(contact(2, 0, product=4), earlier, RepeatRule(count=3)).is_repeat


@pytest.mark.parametrize(("count", "days"), [(1, 180), (0, 180), (3, 0)])
def test_a_rule_that_makes_no_sense_is_refused(count: int, days: int) -> None:
    with pytest.raises(ValueError, match="at least"):
        RepeatRule(count=count, window_days=days)
