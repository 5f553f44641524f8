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
