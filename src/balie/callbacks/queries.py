"""Reading callbacks: a conversation's, and an agent's by day."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.conversations.access import visible_to
from balie.store.tables import Callback, Conversation
from balie.zone import LOCAL_ZONE


async def of_conversation(session: AsyncSession, conversation_id: int) -> list[Callback]:
    """Newest slot first: the one to act on is on top."""
    rows = await session.scalars(
        select(Callback)
        .where(Callback.conversation_id == conversation_id)
        .order_by(Callback.slot_start.desc(), Callback.id.desc())
    )
    return list(rows)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A calendar day where the agents work, as UTC instants (23 or 25 hours on the days
    the clocks change)."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL_ZONE)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL_ZONE)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def for_day(
    session: AsyncSession, actor: Actor, day: dt.date, *, mine: bool
) -> list[tuple[Callback, Conversation]]:
    """The callbacks with a slot starting on ``day``: the actor's own (``mine``: in
    conversations the actor owns, or planned by the actor in a conversation nobody owns;
    the same rule as balie.callbacks.timers.responsible), or every one in conversations
    the actor may see, in slot order."""
    start, end = day_bounds(day)
    query = (
        select(Callback, Conversation)
        .join(Conversation, Conversation.id == Callback.conversation_id)
        .where(Callback.slot_start >= start, Callback.slot_start < end, visible_to(actor))
        .order_by(Callback.slot_start, Callback.id)
    )
    if mine:
        query = query.where(
            or_(
                Conversation.owner_id == actor.id,
                and_(Conversation.owner_id.is_(None), Callback.owner_id == actor.id),
            )
        )
    return [(c, v) for c, v in await session.execute(query)]
