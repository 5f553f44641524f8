"""Who may see which conversation.

Supervisors and admins see everything. An agent sees the conversations of their own team,
those without a team, those they own, and those offered to them in a hand-over.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.store.tables import Conversation, Handover


def visible_to(actor: Actor) -> ColumnElement[bool]:
    if actor.kind == "visitor":
        # Visitors reach their own chats through the visitor key, never through this.
        return false()
    if actor.kind != "agent" or actor.role in ("supervisor", "admin"):
        return true()
    offered = (
        select(Handover.id)
        .where(
            Handover.conversation_id == Conversation.id,
            Handover.to_agent_id == actor.id,
            Handover.status == "pending",
        )
        .exists()
    )
    team = (
        Conversation.team_id.is_(None)
        if actor.team_id is None
        else or_(Conversation.team_id.is_(None), Conversation.team_id == actor.team_id)
    )
    return or_(team, Conversation.owner_id == actor.id, offered)


async def can_see(session: AsyncSession, actor: Actor, conversation: Conversation) -> bool:
    found = await session.scalar(
        select(Conversation.id).where(Conversation.id == conversation.id, visible_to(actor))
    )
    return found is not None
