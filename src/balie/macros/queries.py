"""Reading macros: the ones an agent may use."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.store.tables import Macro


async def usable(
    session: AsyncSession, actor: Actor, *, language: str | None = None
) -> list[Macro]:
    """The actor's own macros and the shared ones, own first, then by name."""
    query = select(Macro).where(or_(Macro.owner_id.is_(None), Macro.owner_id == actor.id))
    if language is not None:
        query = query.where(Macro.language == language)
    query = query.order_by(Macro.owner_id.is_(None), Macro.name, Macro.id)
    return list(await session.scalars(query))
