"""Who's who for the inbox pages: colleagues, teams, customer names and hand-overs.

Reads only; the inbox needs these names next to the conversations it lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.store.tables import Agent, Conversation, Customer, Handover, Team


async def colleagues(session: AsyncSession) -> list[Agent]:
    """Every active agent, by name: owners, hand-over targets, filter choices."""
    return list(await session.scalars(select(Agent).where(Agent.active).order_by(Agent.name)))


async def agent_names(session: AsyncSession) -> dict[int, str]:
    """Names of all agents, former ones included, for authors and owners on old records."""
    return {
        agent_id: name for agent_id, name in await session.execute(select(Agent.id, Agent.name))
    }


async def teams(session: AsyncSession) -> list[Team]:
    return list(await session.scalars(select(Team).order_by(Team.name)))


async def customer_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids)))
    return {customer_id: name for customer_id, name in rows}


async def pending_handovers(
    session: AsyncSession, conversation_ids: list[int]
) -> dict[int, Handover]:
    """The hand-over waiting for an answer, per conversation (at most one each)."""
    if not conversation_ids:
        return {}
    rows = await session.scalars(
        select(Handover).where(
            Handover.conversation_id.in_(conversation_ids), Handover.status == "pending"
        )
    )
    return {h.conversation_id: h for h in rows}


@dataclass(frozen=True)
class Offer:
    handover: Handover
    conversation: Conversation


async def offered_to(session: AsyncSession, actor: Actor) -> list[Offer]:
    """Hand-overs waiting for this agent to accept or decline, oldest first.

    No visibility filter: a pending offer is exactly what makes a conversation visible
    to the agent it is offered to (see ``conversations.access``)."""
    rows = await session.execute(
        select(Handover, Conversation)
        .join(Conversation, Conversation.id == Handover.conversation_id)
        .where(
            Handover.to_agent_id == actor.id,
            Handover.status == "pending",
        )
        .order_by(Handover.created_at, Handover.id)
    )
    return [Offer(handover, conversation) for handover, conversation in rows]
