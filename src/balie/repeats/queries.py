"""What repeat detection reads: a customer's conversations about an order or product."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.policy.repeats import Contact
from balie.store.tables import Conversation


def contact_of(conversation: Conversation) -> Contact:
    return Contact(
        conversation.id, conversation.created_at, conversation.order_id, conversation.product_id
    )


async def earlier_contacts(
    session: AsyncSession, conversation: Conversation, *, window_days: int
) -> list[Contact]:
    """The customer's other conversations about the same order or product that started
    within the window before this one (the policy decides which of them count)."""
    about = []
    if conversation.order_id is not None:
        about.append(Conversation.order_id == conversation.order_id)
    if conversation.product_id is not None:
        about.append(Conversation.product_id == conversation.product_id)
    if not about:
        return []
    since = conversation.created_at - dt.timedelta(days=window_days)
    rows = await session.execute(
        select(
            Conversation.id,
            Conversation.created_at,
            Conversation.order_id,
            Conversation.product_id,
        )
        .where(
            Conversation.customer_id == conversation.customer_id,
            Conversation.id != conversation.id,
            Conversation.created_at >= since,
            Conversation.created_at <= conversation.created_at,
            or_(*about),
        )
        .order_by(Conversation.created_at, Conversation.id)
    )
    return [Contact(*row) for row in rows]


async def affected_by(
    session: AsyncSession,
    conversation: Conversation,
    *,
    order_ids: set[int],
    product_ids: set[int],
    window_days: int,
) -> list[Conversation]:
    """The customer's conversations whose repeat flag may follow from what
    ``conversation`` is (or was) about: itself, and those that started after it within
    the window about any of these orders or products (it counts as their earlier
    contact). Oldest first."""
    about = []
    if order_ids:
        about.append(Conversation.order_id.in_(sorted(order_ids)))
    if product_ids:
        about.append(Conversation.product_id.in_(sorted(product_ids)))
    later: list[Conversation] = []
    if about:
        until = conversation.created_at + dt.timedelta(days=window_days)
        later = list(
            await session.scalars(
                select(Conversation)
                .where(
                    Conversation.customer_id == conversation.customer_id,
                    Conversation.id != conversation.id,
                    Conversation.created_at >= conversation.created_at,
                    Conversation.created_at <= until,
                    or_(*about),
                )
                .order_by(Conversation.created_at, Conversation.id)
            )
        )
    return [conversation, *later]
