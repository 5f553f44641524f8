"""Reading alerts for an agent's screen."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.agents.roles import at_least
from balie.store.tables import Alert


def for_actor(actor: Actor) -> ColumnElement[bool]:
    if at_least(actor.role, "supervisor"):
        return Alert.id.is_not(None)
    return Alert.agent_id == actor.id


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
