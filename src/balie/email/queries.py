"""Reading the e-mail side of messages: where a message came from, how its mail fared."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.store.tables import MailRecord, Message, OutboxMail


async def mail_of_messages(
    session: AsyncSession, message_ids: list[int]
) -> dict[int, dict[str, Any]]:
    """Per message id: ``{"direction": "in", "record_id"}`` for a received mail, or the
    delivery of an agent's reply (``status`` queued, sending, sent, failed, cancelled)."""
    if not message_ids:
        return {}
    out: dict[int, dict[str, Any]] = {}
    received = await session.execute(
        select(MailRecord.message_id, MailRecord.id, MailRecord.kind).where(
            MailRecord.message_id.in_(message_ids), MailRecord.direction == "in"
        )
    )
    for message_id, record_id, kind in received:
        assert message_id is not None
        out[message_id] = {"direction": "in", "record_id": record_id, "kind": kind}
    sent = await session.scalars(
        select(OutboxMail).where(OutboxMail.message_id.in_(message_ids)).order_by(OutboxMail.id)
    )
    for mail in sent:
        assert mail.message_id is not None
        out[mail.message_id] = {
            "direction": "out",
            "outbox_id": mail.id,
            "purpose": mail.purpose,
            "to": mail.to_address,
            "status": mail.status,
            "attempts": mail.attempts,
            "last_error": mail.last_error,
            "next_attempt_at": mail.next_attempt_at if mail.status == "queued" else None,
            "sent_at": mail.sent_at,
        }
    return out


async def original(session: AsyncSession, conversation_id: int, message_id: int) -> bytes | None:
    """The received mail exactly as it arrived."""
    return await session.scalar(
        select(MailRecord.raw).where(
            MailRecord.conversation_id == conversation_id,
            MailRecord.message_id == message_id,
            MailRecord.direction == "in",
        )
    )


async def mailed_messages(session: AsyncSession, conversation_id: int) -> list[Message]:
    """The conversation's messages that went out by e-mail, in order."""
    mailed = select(OutboxMail.message_id).where(OutboxMail.conversation_id == conversation_id)
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.id.in_(mailed))
        .order_by(Message.seq)
    )
    return list(rows)
