"""Reading incidents: the list, one with its linked conversations, and a conversation's."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.conversations.access import visible_to
from balie.store.tables import Conversation, Incident, IncidentLink


@dataclass(frozen=True)
class Linked:
    conversation: Conversation
    how: str


async def incidents(
    session: AsyncSession, *, status: str | None = None, inbox_id: int | None = None
) -> list[Incident]:
    """Newest first."""
    query = select(Incident)
    if status is not None:
        query = query.where(Incident.status == status)
    if inbox_id is not None:
        query = query.where(Incident.inbox_id == inbox_id)
    return list(
        await session.scalars(query.order_by(Incident.created_at.desc(), Incident.id.desc()))
    )


async def linked(session: AsyncSession, actor: Actor, incident_id: int) -> list[Linked]:
    """The incident's conversations the actor may see, in the order they were linked."""
    rows = await session.execute(
        select(Conversation, IncidentLink.how)
        .join(IncidentLink, IncidentLink.conversation_id == Conversation.id)
        .where(IncidentLink.incident_id == incident_id, visible_to(actor))
        .order_by(IncidentLink.created_at, Conversation.id)
    )
    return [Linked(c, how) for c, how in rows]


async def link_counts(session: AsyncSession, incident_ids: list[int]) -> dict[int, int]:
    rows = await session.execute(
        select(IncidentLink.incident_id, func.count())
        .where(IncidentLink.incident_id.in_(incident_ids))
        .group_by(IncidentLink.incident_id)
    )
    counts = {incident_id: 0 for incident_id in incident_ids}
    counts.update({int(i): int(n) for i, n in rows})
    return counts


async def of_conversation(
    session: AsyncSession, conversation: Conversation
) -> dict[str, list[Incident]]:
    """The incidents a conversation is linked to, and the open ones of its inbox it is not
    linked to (an agent may link it by hand)."""
    mine = list(
        await session.scalars(
            select(Incident)
            .join(IncidentLink, IncidentLink.incident_id == Incident.id)
            .where(IncidentLink.conversation_id == conversation.id)
            .order_by(Incident.id)
        )
    )
    others: list[Incident] = []
    if conversation.inbox_id is not None:
        others = [
            i
            for i in await session.scalars(
                select(Incident)
                .where(Incident.inbox_id == conversation.inbox_id, Incident.status == "open")
                .order_by(Incident.id)
            )
            if i not in mine
        ]
    return {"linked": mine, "open": others}
