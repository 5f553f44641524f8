"""Repeat issues (E2): what a conversation is about, and the flag when it comes back.

The rule itself is pure (``balie.policy.repeats``). Its numbers come from the settings
``BALIE_REPEAT_COUNT`` and ``BALIE_REPEAT_WINDOW_DAYS``: ``balie.app.create_app`` hands
them to ``configure`` once; code that runs without the app (the command line) uses the
policy's defaults, 3 contacts in 180 days.
"""

from __future__ import annotations

from typing import Any

from balie.act import Act
from balie.errors import InvalidInput, NotFound
from balie.policy.repeats import RepeatRule, judge
from balie.repeats.queries import affected_by, contact_of, earlier_contacts
from balie.store.tables import Conversation, Order, Product

_rule = RepeatRule()


def configure(count: int, window_days: int) -> None:
    """Use these numbers from now on (the app's settings; one rule per process)."""
    global _rule
    _rule = RepeatRule(count, window_days)


def current_rule() -> RepeatRule:
    return _rule


async def on_new_conversation(act: Act, conversation: Conversation) -> None:
    """A conversation about an order is about its product too; then the repeat check."""
    if conversation.order_id is not None and conversation.product_id is None:
        order = await act.session.get(Order, conversation.order_id)
        if order is not None:
            conversation.product_id = order.product_id
            await act.audit(
                "conversation.about",
                f"conversation:{conversation.id}",
                after={"order_id": conversation.order_id, "product_id": order.product_id},
            )
    await recheck_around(act, conversation)


async def recheck_around(act: Act, conversation: Conversation, *abouts: dict[str, Any]) -> None:
    """Judge again the conversation and the customer's later ones within the window
    about what it is about now or was about before (``abouts``): a contact labelled late
    (or unlabelled) changes whether the ones after it are repeats, whatever order the
    agents label them in."""
    orders = {a["order_id"] for a in (*abouts, _about(conversation)) if a["order_id"]}
    products = {a["product_id"] for a in (*abouts, _about(conversation)) if a["product_id"]}
    for each in await affected_by(
        act.session,
        conversation,
        order_ids=orders,
        product_ids=products,
        window_days=_rule.window_days,
    ):
        await recheck(act, each)


async def recheck(act: Act, conversation: Conversation) -> bool:
    """Set or clear ``conversation.repeat`` by the rule, as of the conversation's start;
    returns the flag. A change is audited with the earlier conversations that made it."""
    rule = _rule
    earlier = await earlier_contacts(act.session, conversation, window_days=rule.window_days)
    verdict = judge(contact_of(conversation), earlier, rule)
    if verdict.is_repeat != bool(conversation.repeat):
        before = {"repeat": bool(conversation.repeat)}
        conversation.repeat = verdict.is_repeat
        await act.audit(
            "conversation.repeat",
            f"conversation:{conversation.id}",
            before=before,
            after={
                "repeat": verdict.is_repeat,
                "earlier": list(verdict.earlier),
                "count": rule.count,
                "window_days": rule.window_days,
            },
        )
    return conversation.repeat


async def set_about(
    act: Act, conversation: Conversation, *, order_id: int | None, product_id: int | None
) -> Conversation:
    """Say which order and/or product a conversation is about (null clears), then check
    for a repeat again. An order must be the customer's own; with an order and no product
    the order's product is taken, and a product that is not the order's is refused."""
    order = None
    if order_id is not None:
        order = await act.session.get(Order, order_id)
        if order is None or order.customer_id != conversation.customer_id:
            raise NotFound(f"Order {order_id} does not exist for this customer.", field="order_id")
    if product_id is not None and await act.session.get(Product, product_id) is None:
        raise NotFound(f"Product {product_id} does not exist.", field="product_id")
    if order is not None:
        if product_id is not None and product_id != order.product_id:
            raise InvalidInput(
                f"Order {order.reference} is for product {order.product_id}, "
                f"not product {product_id}.",
                field="product_id",
            )
        product_id = order.product_id
    before = _about(conversation)
    conversation.order_id, conversation.product_id = order_id, product_id
    if _about(conversation) != before:
        conversation.updated_at = act.now
        await act.audit(
            "conversation.about",
            f"conversation:{conversation.id}",
            before=before,
            after=_about(conversation),
        )
    await recheck_around(act, conversation, before)
    return conversation


def _about(c: Conversation) -> dict[str, Any]:
    return {"order_id": c.order_id, "product_id": c.product_id}
