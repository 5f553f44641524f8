"""Follow-ups to read: the promises an agent must keep, due soonest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.agents.roles import at_least
from balie.conversations.access import visible_to
from balie.store.tables import Conversation, Customer, Promise

STATUSES = ("open", "kept", "cancelled", "unkept")
MAX_PAGE = 200


@dataclass(frozen=True)
class FollowUp:
    id: int
    conversation_id: int
    message_id: int
    agent_id: int | None
    owner_id: int | None  # who must keep it: the conversation's owner, else the writer
    text: str
    due_at: dt.datetime | None
    status: str
    created_at: dt.datetime
    subject: str
    customer_name: str


def _owner() -> ColumnElement[int | None]:
    """Who must keep a promise: the conversation's owner, else its writer."""
    return func.coalesce(Conversation.owner_id, Promise.agent_id)


def _visible(actor: Actor) -> Select[*tuple[Any, ...]]:
    return (
        select(
            Promise.id,
            Promise.conversation_id,
            Promise.message_id,
            Promise.agent_id,
            _owner(),
            Promise.text,
            Promise.due_at,
            Promise.status,
            Promise.created_at,
            Conversation.subject,
            Customer.name,
        )
        .join(Conversation, Conversation.id == Promise.conversation_id)
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(visible_to(actor))
    )


async def follow_ups(
    session: AsyncSession,
    actor: Actor,
    *,
    mine: bool,
    status: str | None,
    limit: int = MAX_PAGE,
) -> list[FollowUp]:
    """Promises in conversations the actor can see, due soonest first (those without a
    due time last). An agent only ever sees their own; a supervisor all, or with ``mine``
    their own."""
    query = _visible(actor).order_by(Promise.due_at.is_(None), Promise.due_at, Promise.id)
    if mine or not at_least(actor.role, "supervisor"):
        query = query.where(_owner() == actor.id)
    if status is not None:
        query = query.where(Promise.status == status)
    return [FollowUp(*row) for row in await session.execute(query.limit(limit))]


async def follow_up(session: AsyncSession, actor: Actor, promise_id: int) -> FollowUp | None:
    """One promise as the list shows it, if the actor can see its conversation."""
    row = (await session.execute(_visible(actor).where(Promise.id == promise_id))).first()
    return None if row is None else FollowUp(*row)
