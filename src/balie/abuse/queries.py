"""Reading the abuse state: warnings given, whether a customer is blocked, who was asked
or joined. The chat edge calls ``refuse_blocked`` before it stores anything."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.errors import Forbidden
from balie.languages import first_spoken
from balie.policy import abuse as policy
from balie.store.tables import (
    AbuseWarning,
    Alert,
    AuditEvent,
    Conversation,
    Customer,
    Message,
)
from balie.zone import LOCAL_ZONE


async def warnings_in(session: AsyncSession, conversation_id: int) -> int:
    """Boundary warnings given in one conversation: the count the limit is about, so each
    new conversation starts with a clean slate."""
    count = await session.scalar(
        select(func.count())
        .select_from(AbuseWarning)
        .where(AbuseWarning.conversation_id == conversation_id)
    )
    return int(count or 0)


async def warning_unanswered(session: AsyncSession, conversation_id: int) -> bool:
    """The customer has not written since the last boundary warning in the conversation
    (see ``policy.may_warn_again``)."""
    last_warning = await session.scalar(
        select(Message.seq)
        .join(AbuseWarning, AbuseWarning.message_id == Message.id)
        .where(AbuseWarning.conversation_id == conversation_id)
        .order_by(AbuseWarning.id.desc())
        .limit(1)
    )
    last_customer = await session.scalar(
        select(func.max(Message.seq)).where(
            Message.conversation_id == conversation_id, Message.author_kind == "customer"
        )
    )
    return not policy.may_warn_again(last_warning, last_customer)


async def most_warned(session: AsyncSession, customer_id: int) -> tuple[int | None, int]:
    """The customer's conversation with the most warnings, and that number."""
    row = (
        await session.execute(
            select(AbuseWarning.conversation_id, func.count().label("n"))
            .where(AbuseWarning.customer_id == customer_id)
            .group_by(AbuseWarning.conversation_id)
            .order_by(func.count().desc(), AbuseWarning.conversation_id.desc())
            .limit(1)
        )
    ).first()
    return (int(row[0]), int(row[1])) if row else (None, 0)


async def open_request(session: AsyncSession, conversation_id: int) -> Alert | None:
    """The unanswered "ask a supervisor" of this conversation, if any."""
    return await session.scalar(
        select(Alert)
        .where(
            Alert.conversation_id == conversation_id,
            Alert.kind == "ask_supervisor",
            Alert.done_at.is_(None),
        )
        .order_by(Alert.id)
        .limit(1)
    )


async def joined_supervisors(session: AsyncSession, conversation_id: int) -> list[int]:
    """The supervisors who joined this conversation. Joining changes no row of its own, so
    the audit log, where every join is recorded, is where they are found."""
    rows = await session.scalars(
        select(AuditEvent.after)
        .where(
            AuditEvent.target == f"conversation:{conversation_id}",
            AuditEvent.action == "conversation.supervisor_joined",
        )
        .order_by(AuditEvent.seq)
    )
    found: list[int] = []
    for after in rows:
        agent_id = (after or {}).get("agent_id")
        if isinstance(agent_id, int) and agent_id not in found:
            found.append(agent_id)
    return found


def refuse_blocked(customer: Customer, now: dt.datetime, language: str | None = None) -> None:
    """Raise a 403 telling a blocked customer until when; nothing is stored after it (the
    caller's transaction rolls back)."""
    until = customer.blocked_until
    if until is None or not policy.is_blocked(until, now):
        return
    raise Forbidden(
        policy.blocked_notice(until, first_spoken(language, customer.language), LOCAL_ZONE),
        chat_code="blocked",
        blocked_until=until.isoformat(),
    )


@dataclass(frozen=True)
class Safety:
    """What the safety panel and GET .../safety show for one conversation."""

    conversation: Conversation
    customer: Customer
    warnings: int
    limit: int
    # The customer has not written since the last warning: no new one yet.
    unanswered: bool
    asked: Alert | None
    joined: list[int]
    now: dt.datetime

    @property
    def may_end(self) -> bool:
        return self.conversation.status != "resolved" and policy.may_end_chat(
            self.warnings, self.limit
        )

    @property
    def may_warn(self) -> bool:
        return (
            self.conversation.abusive
            and self.conversation.status != "resolved"
            and not self.unanswered
        )

    @property
    def to_go(self) -> int:
        return policy.warnings_to_go(self.warnings, self.limit)

    @property
    def blocked(self) -> bool:
        return policy.is_blocked(self.customer.blocked_until, self.now)

    @property
    def blocked_until(self) -> dt.datetime | None:
        return self.customer.blocked_until if self.blocked else None

    def may_block(self, is_lead: bool) -> bool:
        return policy.may_block(self.warnings, self.limit, is_lead=is_lead)

    def as_json(self, is_lead: bool) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation.id,
            "abusive": self.conversation.abusive,
            "warnings": self.warnings,
            "limit": self.limit,
            "warnings_to_go": self.to_go,
            "may_send_boundary": self.may_warn,
            "warning_unanswered": self.unanswered,
            "may_end": self.may_end,
            "may_block": self.may_block(is_lead),
            "customer": {
                "id": self.customer.id,
                "blocked": self.blocked,
                "blocked_until": self.blocked_until.isoformat() if self.blocked_until else None,
                "blocked_reason": self.customer.blocked_reason if self.blocked else None,
            },
            "supervisor_asked": self.asked is not None,
            "supervisors_joined": self.joined,
        }


async def safety(
    session: AsyncSession, conversation: Conversation, *, limit: int, now: dt.datetime
) -> Safety:
    customer = await session.get(Customer, conversation.customer_id)
    assert customer is not None
    return Safety(
        conversation=conversation,
        customer=customer,
        warnings=await warnings_in(session, conversation.id),
        limit=limit,
        unanswered=await warning_unanswered(session, conversation.id),
        asked=await open_request(session, conversation.id),
        joined=await joined_supervisors(session, conversation.id),
        now=now,
    )
