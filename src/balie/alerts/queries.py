"""Reading alerts for an agent's screen."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.agents.roles import at_least
from balie.conversations.access import visible_to
from balie.store.tables import Alert, Conversation


def for_actor(actor: Actor) -> ColumnElement[bool]:
    """A supervisor sees every alert; an agent their own, and only while they may still see
    the conversation it is about (one moved to another team takes its alerts along)."""
    if at_least(actor.role, "supervisor"):
        return Alert.id.is_not(None)
    return and_(
        Alert.agent_id == actor.id,
        or_(
            Alert.conversation_id.is_(None),
            Alert.conversation_id.in_(select(Conversation.id).where(visible_to(actor))),
        ),
    )


def card(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "kind": alert.kind,
        "text": alert.text,
        "conversation_id": alert.conversation_id,
        "agent_id": alert.agent_id,
        "data": alert.data,
        "created_at": alert.created_at.isoformat(),
        "done_at": alert.done_at.isoformat() if alert.done_at else None,
        "done_by": alert.done_by,
    }


async def alerts_for(
    session: AsyncSession, actor: Actor, *, open_only: bool = True, limit: int = 100
) -> list[Alert]:
    query = select(Alert).where(for_actor(actor))
    if open_only:
        query = query.where(Alert.done_at.is_(None))
    return list(await session.scalars(query.order_by(Alert.id.desc()).limit(limit)))


async def alerts_by_id(session: AsyncSession, actor: Actor, ids: set[int]) -> list[Alert]:
    if not ids:
        return []
    return list(await session.scalars(select(Alert).where(Alert.id.in_(ids), for_actor(actor))))


async def open_ids(session: AsyncSession, actor: Actor, *, limit: int = 100) -> list[int]:
    """The newest open alerts' ids: the count on every page, which live frames then keep."""
    rows = await session.scalars(
        select(Alert.id)
        .where(for_actor(actor), Alert.done_at.is_(None))
        .order_by(Alert.id.desc())
        .limit(limit)
    )
    return list(rows)
