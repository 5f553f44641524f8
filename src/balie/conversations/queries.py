"""Reading conversations for lists, counts and the conversation view."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.conversations.access import visible_to
from balie.errors import InvalidInput
from balie.ids import parse_id
from balie.store.tables import Conversation, ConversationTag, Message

MAX_PAGE = 100


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    owner: str | None = None  # an agent id, "me" or "none"
    team_id: int | None = None
    severity: str | None = None
    tag: str | None = None
    channel: str | None = None
    customer_id: int | None = None

    def where(self, actor: Actor) -> list[Any]:
        clauses: list[Any] = [visible_to(actor)]
        if self.status:
            clauses.append(Conversation.status == self.status)
        if self.owner == "me":
            clauses.append(Conversation.owner_id == actor.id)
        elif self.owner == "none":
            clauses.append(Conversation.owner_id.is_(None))
        elif self.owner:
            owner_id = parse_id(self.owner)
            if owner_id is None:
                raise InvalidInput("owner must be an agent id, 'me' or 'none'.", field="owner")
            clauses.append(Conversation.owner_id == owner_id)
        if self.team_id is not None:
            clauses.append(Conversation.team_id == self.team_id)
        if self.severity:
            clauses.append(Conversation.severity == self.severity)
        if self.channel:
            clauses.append(Conversation.channel == self.channel)
        if self.customer_id is not None:
            clauses.append(Conversation.customer_id == self.customer_id)
        if self.tag:
            # IN over the tag index, not a correlated EXISTS: counting per status with a
            # tag then reads the few tagged rows instead of probing every conversation.
            clauses.append(
                Conversation.id.in_(
                    select(ConversationTag.conversation_id).where(
                        ConversationTag.tag == self.tag.strip().lower()
                    )
                )
            )
        return clauses


def encode_cursor(c: Conversation) -> str:
    raw = json.dumps([c.urgency, c.last_activity_at.isoformat(), c.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        urgency, at, cid = json.loads(raw)
        when, conversation_id = dt.datetime.fromisoformat(at), parse_id(str(cid))
        if when.tzinfo is None or conversation_id is None or urgency not in (0, 1, 2):
            raise ValueError("not a cursor of ours")
        return int(urgency), when, conversation_id
    except (ValueError, TypeError) as exc:
        raise InvalidInput("The cursor is not one this API gave out.", field="cursor") from exc


def page_query(actor: Actor, filters: Filters, *, cursor: str | None, limit: int) -> Select[Any]:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}.", field="limit")
    query = select(Conversation).where(*filters.where(actor))
    if cursor:
        urgency, at, cid = decode_cursor(cursor)
        query = query.where(
            or_(
                Conversation.urgency < urgency,
                and_(
                    Conversation.urgency == urgency,
                    or_(
                        Conversation.last_activity_at < at,
                        and_(Conversation.last_activity_at == at, Conversation.id < cid),
                    ),
                ),
            )
        )
    # Critical first, then high, then the rest; newest activity first within each.
    return query.order_by(
        Conversation.urgency.desc(),
        Conversation.last_activity_at.desc(),
        Conversation.id.desc(),
    ).limit(limit + 1)


async def list_page(
    session: AsyncSession, actor: Actor, filters: Filters, *, cursor: str | None, limit: int
) -> tuple[list[Conversation], str | None]:
    rows = list(await session.scalars(page_query(actor, filters, cursor=cursor, limit=limit)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more and rows else None


async def status_counts(session: AsyncSession, actor: Actor, filters: Filters) -> dict[str, int]:
    """How many conversations per status match the other filters (for the filter bar)."""
    without_status = Filters(**{**filters.__dict__, "status": None})
    result = await session.execute(
        select(Conversation.status, func.count())
        .where(*without_status.where(actor))
        .group_by(Conversation.status)
    )
    counts = {"open": 0, "pending": 0, "snoozed": 0, "resolved": 0}
    counts.update({status: n for status, n in result})
    return counts


async def tags_by_conversation(session: AsyncSession, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        rows = await session.execute(
            select(ConversationTag.conversation_id, ConversationTag.tag)
            .where(ConversationTag.conversation_id.in_(ids))
            .order_by(ConversationTag.tag)
        )
        for cid, tag in rows:
            out[cid].append(tag)
    return out


async def messages_after(
    session: AsyncSession, conversation_id: int, *, after: int, limit: int = 200
) -> list[Message]:
    if after < 0 or not 1 <= limit <= 500:
        raise InvalidInput("after must be >= 0 and limit 1 to 500.", field="after")
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > after)
        .order_by(Message.seq)
        .limit(limit)
    )
    return list(rows)
