"""Which conversation a received mail belongs to.

In order of trust: the Message-IDs it answers (In-Reply-To, References); the signed token
in the reply address it was sent to; the same subject from the same customer within
``SUBJECT_WINDOW``. A mail that matches none opens a new conversation.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import or_, select

from balie.act import Act
from balie.email.parse import ParsedMail, normalise_subject
from balie.store.tables import Conversation, Inbox, MailRecord

SUBJECT_WINDOW = dt.timedelta(days=14)
# A References header can list hundreds of ids; the newest few decide.
MAX_REFERENCES = 50


def subject_key(subject: str) -> str:
    return normalise_subject(subject)[:300]


# Longer or non-ASCII Message-IDs are kept as a hash: the column and its unique index have
# limits (PostgreSQL: 2,704 bytes per index row), and such ids are rare and odd.
LONGEST_HEADER_ID = 250
# The domain of ids Balie made up; never shown to a mail client as if a client made them.
MADE_UP = ".balie>"


def hashed_id(data: bytes, label: str) -> str:
    return f"<{hashlib.sha256(data).hexdigest()}@{label}{MADE_UP}"


def stored_id(message_id: str) -> str:
    """A Message-ID as Balie stores it and looks it up: the same for both."""
    if len(message_id) > LONGEST_HEADER_ID or not message_id.isascii():
        return hashed_id(message_id.encode("utf-8", "replace"), "long-message-id")
    return message_id


def referenced_ids(mail: ParsedMail) -> list[str]:
    """The ids a reply answers, most specific first: In-Reply-To, then References newest
    to oldest (clients that trim References keep its end)."""
    ordered: list[str] = []
    for value in (*mail.in_reply_to, *reversed(mail.references)):
        stored = stored_id(value)
        if stored not in ordered:
            ordered.append(stored)
    return ordered[:MAX_REFERENCES]


async def find_conversation(
    act: Act,
    inbox: Inbox,
    mail: ParsedMail,
    *,
    tokens: list[int],
    customer_id: int,
    address: str | None,
) -> Conversation | None:
    session = act.session
    ids = referenced_ids(mail)
    if ids:
        rows = await session.execute(
            select(MailRecord, Conversation)
            .join(Conversation, Conversation.id == MailRecord.conversation_id)
            .where(MailRecord.header_id.in_(ids), MailRecord.inbox_id == inbox.id)
        )
        found_by_id: dict[str, Conversation] = {}
        for record, conversation in rows:
            # Balie's own Message-IDs are random and went only to the customer (and whoever
            # they copied in); a customer's own ids count only from that customer: quoting
            # one does not write a stranger into someone's conversation.
            if (
                record.direction == "out"
                or (address is not None and record.address == address)
                or conversation.customer_id == customer_id
            ):
                found_by_id.setdefault(record.header_id, conversation)
        for header in ids:
            if header in found_by_id:
                return found_by_id[header]
    for conversation_id in tokens:
        # Signed with this inbox's secret, so minted by this inbox for that conversation
        # (a chat conversation too, whose answer this inbox mailed).
        found = await session.get(Conversation, conversation_id)
        if found is not None:
            return found
    key = subject_key(mail.subject)
    if not key or address is None:
        # A subject alone, from nobody in particular, is not enough to join a conversation.
        return None
    conversation_id = await session.scalar(
        select(MailRecord.conversation_id)
        .join(Conversation, Conversation.id == MailRecord.conversation_id)
        .where(
            MailRecord.inbox_id == inbox.id,
            MailRecord.subject_key == key,
            MailRecord.created_at >= act.now - SUBJECT_WINDOW,
            or_(MailRecord.address == address, Conversation.customer_id == customer_id),
        )
        .order_by(MailRecord.id.desc())
        .limit(1)
    )
    return None if conversation_id is None else await session.get(Conversation, conversation_id)
