"""What a live socket sends, read from the database: messages after a sequence number for
a visitor, changes after a cursor for an agent, and the state an agent starts from."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.alerts.queries import alerts_by_id
from balie.alerts.queries import card as alert_card
from balie.api.schemas import ConversationOut
from balie.chat.actions import DEFAULT_CAPACITY
from balie.chat.routing import PRESENCE_TIMEOUT, open_chats
from balie.conversations.access import visible_to
from balie.conversations.queries import tags_by_conversation
from balie.store.tables import Agent, AgentPresence, AuditEvent, AuditHead, Conversation, Message

BATCH = 200
ATTACHMENT_SALT = "balie.attachment"


def initials(name: str) -> str:
    parts = [p for p in name.split() if p[:1].isalpha()]
    return "".join(p[0] for p in (parts[:1] + parts[1:][-1:])).upper() or "?"


def agent_card(agent: Agent | None) -> dict[str, str] | None:
    """What a visitor sees of an agent: first name and initials, nothing more."""
    if agent is None:
        return None
    return {
        "name": agent.name.split()[0] if agent.name.split() else agent.name,
        "initials": initials(agent.name),
    }


def attachment_url(secret_key: str, attachment_id: int) -> str:
    """A link that works for whoever was shown it, and only for this file."""
    signed = URLSafeSerializer(secret_key, salt=ATTACHMENT_SALT).dumps(attachment_id)
    return f"/chat/v1/attachments/{signed}"


def attachment_id(secret_key: str, signed: str) -> int | None:
    try:
        value = URLSafeSerializer(secret_key, salt=ATTACHMENT_SALT).loads(signed)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def message_frame(message: Message, agent: Agent | None, secret_key: str) -> dict[str, Any]:
    return {
        "type": "message",
        "seq": message.seq,
        "author": message.author_kind if message.author_kind != "bot" else "agent",
        "agent": agent_card(agent),
        "text": message.text,
        "attachments": [
            {**a, "url": attachment_url(secret_key, a["id"])} for a in message.attachments or []
        ],
        "client_id": message.client_id,
        "at": message.created_at.isoformat(),
    }


async def visitor_messages(
    session: AsyncSession, conversation_id: int, after: int, secret_key: str
) -> list[dict[str, Any]]:
    """The messages a visitor may see after ``after``, in order (never internal notes)."""
    rows = await session.execute(
        select(Message, Agent)
        .outerjoin(Agent, Agent.id == Message.author_agent_id)
        .where(
            Message.conversation_id == conversation_id,
            Message.seq > after,
            Message.internal.is_(False),
        )
        .order_by(Message.seq)
        .limit(BATCH)
    )
    return [message_frame(m, a, secret_key) for m, a in rows]


async def conversation_cards(
    session: AsyncSession, conversations: list[Conversation]
) -> list[dict[str, Any]]:
    tags = await tags_by_conversation(session, [c.id for c in conversations])
    return [ConversationOut.of(c, tags[c.id]).model_dump(mode="json") for c in conversations]


async def cursor(session: AsyncSession) -> int:
    return int(await session.scalar(select(AuditHead.seq).where(AuditHead.id == 1)) or 0)


async def changes_after(session: AsyncSession, after: int) -> tuple[list[str], int]:
    """Audit targets changed after ``after`` (at most a few thousand), and the seq to go on
    from. ``after`` below 0 only asks for the newest seq."""
    if after < 0:
        return [], await cursor(session)
    rows = (
        await session.execute(
            select(AuditEvent.seq, AuditEvent.target)
            .where(AuditEvent.seq > after)
            .order_by(AuditEvent.seq)
            .limit(BATCH * 10)
        )
    ).all()
    if not rows:
        # A log that is shorter than our position was emptied (a test resets it): go on
        # from where it is now.
        return [], min(after, await cursor(session))
    return [target for _, target in rows], rows[-1][0]


async def agent_events(
    session: AsyncSession, actor: Actor, after: int
) -> tuple[list[dict[str, Any]], int]:
    """Changes to conversations the actor may see, after cursor ``after``: each one with
    the conversation as it is now, so a client replaces its row. Returns the frames and
    the cursor to continue from."""
    rows = (
        await session.execute(
            select(AuditEvent.seq, AuditEvent.action, AuditEvent.target)
            .where(AuditEvent.seq > after)
            .order_by(AuditEvent.seq)
            .limit(BATCH * 2)
        )
    ).all()
    if not rows:
        return [], after
    ids = {
        int(target.split(":", 1)[1]) for _, _, target in rows if target.startswith("conversation:")
    }
    visible = (
        list(
            await session.scalars(
                select(Conversation).where(Conversation.id.in_(ids), visible_to(actor))
            )
        )
        if ids
        else []
    )
    cards = {card["id"]: card for card in await conversation_cards(session, visible)}
    alert_ids = {int(t.split(":", 1)[1]) for _, _, t in rows if t.startswith("alert:")}
    alerts = {a.id: alert_card(a) for a in await alerts_by_id(session, actor, alert_ids)}
    frames = []
    for seq, action, target in rows:
        kind, _, raw = target.partition(":")
        if kind == "conversation" and int(raw) in cards:
            frames.append(
                {"type": "event", "seq": seq, "action": action, "conversation": cards[int(raw)]}
            )
        elif kind == "alert" and int(raw) in alerts:
            frames.append(
                {"type": "alert", "seq": seq, "action": action, "alert": alerts[int(raw)]}
            )
    return frames, rows[-1][0]


async def presence(session: AsyncSession, now: Any) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Agent, AgentPresence, open_chats())
        .outerjoin(AgentPresence, AgentPresence.agent_id == Agent.id)
        .where(Agent.active.is_(True))
        .order_by(Agent.name)
    )
    return [
        {
            "agent_id": a.id,
            "name": a.name,
            "team_id": a.team_id,
            "status": "offline"
            if p is None
            or (p.status == "online" and not (p.seen_at and p.seen_at >= now - PRESENCE_TIMEOUT))
            else p.status,
            "capacity": DEFAULT_CAPACITY if p is None else p.capacity,
            "open_chats": int(n or 0),
        }
        for a, p, n in rows
    ]


async def state(session: AsyncSession, actor: Actor, now: Any) -> dict[str, Any]:
    """Where an agent's live view starts: the cursor first, then the data. An event that
    lands in between is delivered again after the cursor, and replacing a row with its
    current state twice changes nothing."""
    position = await cursor(session)
    conversations = list(
        await session.scalars(
            select(Conversation)
            .where(Conversation.status != "resolved", visible_to(actor))
            .order_by(Conversation.id)
        )
    )
    return {
        "cursor": position,
        "conversations": await conversation_cards(session, conversations),
        "presence": await presence(session, now),
    }
