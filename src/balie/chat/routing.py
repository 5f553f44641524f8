"""Which agent gets a new chat: round robin among the online agents of the inbox's team
who have room under their capacity; when nobody has room the chat waits in the queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, nulls_first, or_, select

from balie.act import Act
from balie.store.tables import Agent, AgentPresence, Conversation

# An agent whose live socket has not sent a heartbeat for this long is not online.
PRESENCE_TIMEOUT = dt.timedelta(seconds=60)
OPEN_STATUSES = ("open", "pending")


def open_chats() -> Any:
    """Per agent row: how many chats they own that are still going."""
    return (
        select(func.count(Conversation.id))
        .where(
            Conversation.owner_id == Agent.id,
            Conversation.channel == "chat",
            Conversation.status.in_(OPEN_STATUSES),
        )
        .scalar_subquery()
    )


async def available_agent(act: Act, team_id: int) -> Agent | None:
    """The online agent of the team with room, assigned longest ago."""
    return await act.session.scalar(
        select(Agent)
        .join(AgentPresence, AgentPresence.agent_id == Agent.id)
        .where(
            Agent.team_id == team_id,
            Agent.active.is_(True),
            AgentPresence.status == "online",
            AgentPresence.seen_at >= act.now - PRESENCE_TIMEOUT,
            open_chats() < AgentPresence.capacity,
        )
        .order_by(nulls_first(AgentPresence.last_assigned_at), Agent.id)
        .limit(1)
    )


def waiting(team_id: int) -> object:
    """The queue of a team: unowned open chats, oldest first."""
    return and_(
        Conversation.team_id == team_id,
        Conversation.channel == "chat",
        Conversation.owner_id.is_(None),
        Conversation.status == "open",
    )


async def queue_position(act: Act, conversation: Conversation) -> int | None:
    """1 for the next in line; None when the chat has an owner or is not waiting."""
    if (
        conversation.owner_id is not None
        or conversation.team_id is None
        or conversation.channel != "chat"
        or conversation.status != "open"
    ):
        return None
    ahead = await act.session.scalar(
        select(func.count(Conversation.id)).where(
            waiting(conversation.team_id),  # type: ignore[arg-type]
            or_(
                Conversation.created_at < conversation.created_at,
                and_(
                    Conversation.created_at == conversation.created_at,
                    Conversation.id < conversation.id,
                ),
            ),
        )
    )
    return int(ahead or 0) + 1


async def _give(act: Act, conversation: Conversation, agent: Agent) -> None:
    presence = await act.session.get(AgentPresence, agent.id)
    assert presence is not None  # available_agent joined it
    conversation.owner_id = agent.id
    conversation.updated_at = act.now
    presence.last_assigned_at = act.now
    # Everyone behind in this team's queue moves up: their widgets should hear of it.
    act.session.info.setdefault("changed", set()).add(f"queue:{conversation.team_id}")
    await act.audit(
        "conversation.route",
        f"conversation:{conversation.id}",
        before={"owner_id": None},
        after={"owner_id": agent.id, "team_id": conversation.team_id},
    )


async def route(act: Act, conversation: Conversation) -> Agent | None:
    """Give a new, unowned chat to an available agent, if there is one."""
    if conversation.owner_id is not None or conversation.team_id is None:
        return None
    agent = await available_agent(act, conversation.team_id)
    if agent is not None:
        await _give(act, conversation, agent)
    return agent


async def route_queue(act: Act, team_id: int | None, *, limit: int = 50) -> int:
    """Hand waiting chats, oldest first, to agents who have room now. Returns how many."""
    if team_id is None:
        return 0
    given = 0
    while given < limit:
        conversation = await act.session.scalar(
            select(Conversation)
            .where(waiting(team_id))  # type: ignore[arg-type]
            .order_by(Conversation.created_at, Conversation.id)
            .limit(1)
        )
        if conversation is None:
            break
        agent = await available_agent(act, team_id)
        if agent is None:
            break
        await _give(act, conversation, agent)
        given += 1
    return given
