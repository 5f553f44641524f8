"""Mail in: one received e-mail becomes a customer message in the right conversation.

Every route in (the SMTP receiver, IMAP polling) ends in ``receive``: it parses outside the
write transaction, then stores the message, its attachments and the original in one
transaction. The SMTP receiver answers ``250`` only after that commit, so a sender whose
mail Balie could not store is told to try again: nothing a customer sent is lost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from balie.act import SYSTEM, Act, utcnow
from balie.analysis.model import Triage
from balie.analysis.triage import triage
from balie.chat.actions import store_attachment
from balie.conversations import actions as conversations
from balie.conversations.rules import MAX_MESSAGE_CHARS, MAX_SUBJECT_CHARS
from balie.customers.actions import customer_for_email, customer_for_identity
from balie.email import outbound, threading
from balie.email.addressing import read_token, split_recipient
from balie.email.parse import ParsedMail, parse
from balie.errors import BalieError
from balie.policy import abuse as abuse_policy
from balie.store.database import Database
from balie.store.tables import (
    Conversation,
    Customer,
    CustomerIdentity,
    Inbox,
    MailRecord,
    Message,
    OutboxMail,
)

log = logging.getLogger("balie.email")

# Mail with no usable sender still arrives; it is filed under one customer agents can see.
UNKNOWN_SENDER = "unknown-sender"
PARSE_INLINE_BYTES = 256 * 1024
_NULL_RETURN_PATH = re.compile(rb"^return-path:[ \t]*<[ \t]*>", re.IGNORECASE | re.MULTILINE)
TRUNCATED = "\n\n[…] (Shortened here; the whole e-mail is kept as the original.)"


class MailRefused(BalieError):
    """An SMTP answer other than 250: 4xx asks the sender to retry, 5xx refuses for good."""

    code = "mail_refused"

    def __init__(self, smtp_code: int, text: str) -> None:
        super().__init__(text)
        self.smtp_code = smtp_code
        self.smtp_text = text

    def reply(self) -> str:
        return f"{self.smtp_code} {self.smtp_text}"


@dataclass(frozen=True)
class Received:
    conversation_id: int | None
    message_id: int | None
    duplicate: bool = False  # the same mail was stored before; nothing new was written

    @classmethod
    def again(cls, earlier: MailRecord) -> Received:
        return cls(earlier.conversation_id, earlier.message_id, duplicate=True)


async def email_inboxes(db: Database) -> dict[str, Inbox]:
    """E-mail inboxes by their address. Read per connection: the table is tiny, and an
    admin's new inbox takes effect without a restart."""
    async with db.reading() as session:
        rows = await session.scalars(
            select(Inbox).where(Inbox.channel == "email", Inbox.address.is_not(None))
        )
        return {inbox.address: inbox for inbox in rows if inbox.address}


def inbox_for(inboxes: dict[str, Inbox], recipients: Sequence[str]) -> Inbox | None:
    for address in recipients:
        split = split_recipient(address)
        if split is not None and split.base in inboxes:
            return inboxes[split.base]
    return None


@dataclass(frozen=True)
class Tokens:
    """What the plus tags of the recipients name, checked against the inbox's secret."""

    conversations: list[int]
    bounced: list[int]  # outbox mails whose envelope sender this mail was sent to


def read_tokens(inbox: Inbox, recipients: Sequence[str]) -> Tokens:
    replies: list[int] = []
    bounces: list[int] = []
    for address in recipients:
        split = split_recipient(address)
        if split and split.tag and split.base == inbox.address:
            read = read_token(inbox.secret, split.tag)
            if read is not None:
                (replies if read[0] == "c" else bounces).append(read[1])
    return Tokens(replies, bounces)


def header_id(mail: ParsedMail, raw: bytes) -> str:
    """The mail's Message-ID, or one made from its bytes: a retried delivery of a mail
    without one is still recognised."""
    if mail.message_id is None:
        return threading.hashed_id(raw, "no-message-id")
    return threading.stored_id(mail.message_id)


def valid_address(value: str | None) -> str | None:
    """An address as the database can keep it, or None: envelope senders are whatever the
    sending server said."""
    if not value:
        return None
    value = value.strip().strip("<>").lower()
    local, at, domain = value.rpartition("@")
    if not (at and local and domain) or len(value) > 320 or not value.isprintable():
        return None
    return None if any(c.isspace() for c in value) else value


# SQLSTATE classes of a database that is away or busy, not of a mail it cannot take:
# connection, transaction conflict, resources, operator intervention, system error.
_PASSING = ("08", "40", "53", "57", "58")
# SQLite says it in words.
_SQLITE_PASSING = ("locked", "busy", "disk", "full", "i/o", "unable to open")


def retryable(error: BaseException) -> bool:
    """Worth a retry (SMTP 451, IMAP: the mail stays unseen): the database or the disk is
    the trouble, not the mail. Anything else would fail again, forever."""
    if isinstance(error, (InterfaceError, SATimeoutError, OSError, TimeoutError)):
        return True
    if not isinstance(error, OperationalError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate[:2] in _PASSING
    return any(word in str(error.orig).lower() for word in _SQLITE_PASSING)


async def receive(
    db: Database,
    raw: bytes,
    *,
    recipients: Sequence[str],
    envelope_from: str | None = None,
    source: str = "smtp",
    inbox_id: int | None = None,
    sender_limit_per_hour: int | None = 30,
) -> Received:
    """Store one received mail. ``recipients`` are the envelope's (SMTP) or, for a polled
    mailbox, ``inbox_id`` names the inbox. ``sender_limit_per_hour`` stops mail loops at the
    SMTP door (None for a polled mailbox, which holds its mail already). Raises
    ``MailRefused``; a mail Balie cannot read is still kept, as an unreadable mail."""
    # CPU work, before the write lock is taken; a big mail in a thread, so live chat on
    # this event loop does not stall while it is read.
    mail = parse(raw) if len(raw) < PARSE_INLINE_BYTES else await asyncio.to_thread(parse, raw)
    if inbox_id is None:
        addressed = inbox_for(await email_inboxes(db), recipients)
        if addressed is None:
            raise MailRefused(550, "5.1.1 No Balie inbox has this address")
        inbox_id = addressed.id
    text = _message_text(mail)
    arrival = Arrival(
        raw=raw,
        sender=valid_address(mail.from_address) or valid_address(envelope_from),
        text=text,
        # Judged here, outside the write lock, like the parsing.
        triaged=triage(text.strip()) if mail.kind != "bounce" else None,
        recipients=[*recipients, *mail.recipients],
        envelope_from=envelope_from,
        source=source[:300],
        sender_limit_per_hour=sender_limit_per_hour,
    )
    try:
        async with db.writing() as session:
            return await _store(Act(session, SYSTEM, utcnow()), inbox_id, mail, arrival)
    except MailRefused:
        raise
    except Exception as error:
        if retryable(error):
            raise
        # A mail shape Balie trips over must not be refused forever (a sender would give
        # up and bounce it; a polled mailbox would stall behind it): keep it as it is.
        log.exception("mail not readable; kept as an unreadable mail", extra={"fields": {}})
    async with db.writing() as session:
        return await _store_unreadable(Act(session, SYSTEM, utcnow()), inbox_id, mail, arrival)


@dataclass(frozen=True)
class Arrival:
    """How a mail arrived, next to what it says."""

    raw: bytes
    sender: str | None  # the customer's address: the From, else the envelope's
    text: str  # what the timeline shows
    triaged: Triage | None
    recipients: list[str]
    envelope_from: str | None
    source: str
    sender_limit_per_hour: int | None

    @property
    def null_sender(self) -> bool:
        """``MAIL FROM:<>``: a robot's mail, which must never be answered (RFC 3834). A
        polled mail has no envelope; its Return-Path header tells the same."""
        if self.envelope_from is not None:
            return not self.envelope_from.strip("<> ")
        head = self.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        return _NULL_RETURN_PATH.search(head) is not None


async def _inbox(act: Act, inbox_id: int) -> Inbox:
    inbox = await act.session.get(Inbox, inbox_id)
    if inbox is None:
        raise MailRefused(550, "5.1.1 No Balie inbox has this address")
    return inbox


async def _earlier(act: Act, inbox: Inbox, mail_id: str) -> MailRecord | None:
    return await act.session.scalar(
        select(MailRecord).where(
            MailRecord.inbox_id == inbox.id,
            MailRecord.direction == "in",
            MailRecord.header_id == mail_id,
        )
    )


async def _store(act: Act, inbox_id: int, mail: ParsedMail, arrival: Arrival) -> Received:
    session = act.session
    inbox = await _inbox(act, inbox_id)
    raw, sender = arrival.raw, arrival.sender
    mail_id = header_id(mail, raw)
    earlier = await _earlier(act, inbox, mail_id)
    if earlier is not None and earlier.raw == raw:
        # The same mail again: a sender retrying after a lost 250, a mailbox fetched twice.
        return Received.again(earlier)
    if earlier is not None:
        # Another mail under a Message-ID already seen (a careless mailer, or someone
        # getting in first): kept under an id of its own, never dropped.
        mail_id = threading.hashed_id(raw, "reused-message-id")
        again = await _earlier(act, inbox, mail_id)
        if again is not None:
            return Received.again(again)
    if sender is not None and arrival.sender_limit_per_hour is not None and mail.kind != "bounce":
        recent = await session.scalar(
            select(func.count())
            .select_from(MailRecord)
            .where(
                MailRecord.address == sender,
                MailRecord.direction == "in",
                MailRecord.created_at > act.now - dt.timedelta(hours=1),
            )
        )
        if (recent or 0) >= arrival.sender_limit_per_hour:
            # A loop between two robots: make the sender wait rather than store thousands.
            # 4xx, so a person's mail still arrives once the hour has passed.
            raise MailRefused(451, "4.7.1 Too many messages from this sender; try again later")
    tokens = read_tokens(inbox, arrival.recipients)
    record = _record(act, inbox, arrival, mail_id, mail.subject, mail.kind)
    if mail.kind == "bounce":
        # Only a bounce to the envelope sender of a mail Balie sent counts; any other is
        # kept (nothing is thrown away) but marks nothing: bounces are easy to forge.
        conversation = await _bounce(act, mail, tokens.bounced)
        record.conversation_id = conversation.id if conversation else None
        session.add(record)
        return Received(record.conversation_id, None)
    customer = await _customer(act, mail.from_name, sender)
    conversation = await threading.find_conversation(
        act,
        inbox,
        mail,
        tokens=tokens.conversations + await _bounced_conversations(act, tokens.bounced),
        customer_id=customer.id,
        address=sender,
    )
    created = conversation is None
    if conversation is None:
        conversation, message = await conversations.create_conversation(
            act,
            customer=customer,
            subject=_subject(mail),
            text=arrival.text,
            channel="email",
            inbox_id=inbox.id,
            tags=_tags(mail),
            triaged=arrival.triaged,
        )
    else:
        message, _ = await conversations.add_message(
            act,
            conversation,
            text=arrival.text,
            internal=False,
            author_kind="customer",
            # An out-of-office answer to our reply is kept, but does not reopen anything.
            reopen=mail.kind == "mail",
            triaged=arrival.triaged,
        )
    await _attach(act, message, mail)
    record.conversation_id, record.message_id = conversation.id, message.id
    session.add(record)
    if created and mail.kind == "mail" and sender and not arrival.null_sender:
        writer = await act.session.get(Customer, conversation.customer_id)
        # A blocked customer's mail is kept but parked; telling them "we will answer soon"
        # would be untrue.
        if writer is None or not abuse_policy.is_blocked(writer.blocked_until, act.now):
            await outbound.acknowledge(act, inbox, conversation, to=sender)
    return Received(conversation.id, message.id)


def _record(
    act: Act, inbox: Inbox, arrival: Arrival, mail_id: str, subject: str, kind: str
) -> MailRecord:
    """The received mail as it arrived, under the id it is recognised by."""
    return MailRecord(
        inbox_id=inbox.id,
        direction="in",
        header_id=mail_id,
        address=arrival.sender,
        subject_key=threading.subject_key(subject),
        kind=kind,
        source=arrival.source,
        raw=arrival.raw,
        created_at=act.now,
    )


async def _bounced_conversations(act: Act, outbox_ids: list[int]) -> list[int]:
    """An answer to the envelope sender of our mail (some robots answer there) belongs to
    that mail's conversation."""
    if not outbox_ids:
        return []
    rows = await act.session.scalars(
        select(OutboxMail.conversation_id).where(OutboxMail.id.in_(outbox_ids))
    )
    return list(rows)


async def _store_unreadable(
    act: Act, inbox_id: int, mail: ParsedMail, arrival: Arrival
) -> Received:
    """The last resort for a mail the normal path failed on: a conversation that says so,
    with the original kept for the agent to open."""
    inbox = await _inbox(act, inbox_id)
    mail_id = threading.hashed_id(arrival.raw, "unreadable")
    earlier = await _earlier(act, inbox, mail_id)
    if earlier is not None:
        return Received.again(earlier)
    conversation, message = await conversations.create_conversation(
        act,
        customer=await _customer(act, "", arrival.sender),
        subject="(unreadable e-mail)",
        text="Balie could not read this e-mail. Open the original to see what it says.",
        channel="email",
        inbox_id=inbox.id,
        tags=["unreadable-mail"],
    )
    record = _record(act, inbox, arrival, mail_id, "", "mail")
    record.conversation_id, record.message_id = conversation.id, message.id
    act.session.add(record)
    return Received(conversation.id, message.id)


async def _customer(act: Act, from_name: str, sender: str | None) -> Customer:
    if sender is None:
        return await customer_for_identity(
            act, kind="email", value=UNKNOWN_SENDER, name="Unknown sender", email=None
        )
    known = await act.session.scalar(
        select(CustomerIdentity).where(
            CustomerIdentity.kind == "email", CustomerIdentity.value == sender
        )
    )
    if known is not None:
        customer = await act.session.get(Customer, known.customer_id)
        if customer is not None and customer.merged_into_id is None:
            if known.failing_since is not None:
                # A customer writing from an address shows it works again.
                known.failing_since, known.failure = None, None
            return customer
    name = " ".join(from_name.split())[:200] or sender.split("@")[0][:200] or sender
    try:
        return await customer_for_email(act, email=sender, name=name)
    except BalieError:
        # An address the validator dislikes (user@localhost) is still the customer's.
        return await customer_for_identity(act, kind="email", value=sender, name=name, email=None)


def _subject(mail: ParsedMail) -> str:
    subject = " ".join(mail.subject.split())[:MAX_SUBJECT_CHARS]
    return subject or "(no subject)"


def _tags(mail: ParsedMail) -> list[str]:
    return {"auto_reply": ["auto-reply"], "list": ["mailing-list"]}.get(mail.kind, [])


def _message_text(mail: ParsedMail) -> str:
    text = mail.reply.strip() or mail.text.strip()
    if not text:
        text = "(attachments only)" if mail.attachments else "(empty e-mail)"
    if mail.skipped:
        text += "\n\n" + "\n".join(f"[{note}]" for note in mail.skipped)
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - len(TRUNCATED)] + TRUNCATED
    return text


async def _attach(act: Act, message: Message, mail: ParsedMail) -> None:
    stored = []
    for part in mail.attachments:
        if not part.data:
            continue
        kind = part.content_type if len(part.content_type) <= 100 else "application/octet-stream"
        row = await store_attachment(
            act,
            owner=f"mail:{message.id}",
            name=part.name,
            content_type=kind,
            data=part.data,
            any_type=True,
        )
        row.message_id = message.id
        stored.append({"id": row.id, "name": row.name, "type": row.content_type, "size": row.size})
    if stored:
        message.attachments = stored


async def _bounce(act: Act, mail: ParsedMail, outbox_ids: list[int]) -> Conversation | None:
    """A delivery failure of a mail Balie sent: that mail is failed, the address marked
    failing, and the conversation gets a note, so the agent knows the customer did not
    receive the answer."""
    conversation = None
    reason = (mail.reply or mail.text).strip()[:500] or "The receiving server refused it."
    for outbox_id in outbox_ids:
        sent = await act.session.get(OutboxMail, outbox_id)
        if sent is None:
            continue
        if not mail.failed_recipients:
            continue  # a delay notice: the mail may still arrive
        # The bounce address names this one mail, so the report is about it, even when it
        # names the address the customer's mail was forwarded to.
        sent.status, sent.last_error = "failed", f"Bounced: {reason}"
        await act.audit(
            "mail.failed",
            f"conversation:{sent.conversation_id}",
            after={"outbox_id": sent.id, "to": sent.to_address, "error": sent.last_error},
        )
        identity = await act.session.scalar(
            select(CustomerIdentity).where(
                CustomerIdentity.kind == "email", CustomerIdentity.value == sent.to_address
            )
        )
        if identity is not None and identity.failing_since is None:
            identity.failing_since, identity.failure = act.now, reason
            await act.audit(
                "customer.email_failing",
                f"customer:{identity.customer_id}",
                after={"email": sent.to_address, "failure": reason},
            )
        conversation = await act.session.get(Conversation, sent.conversation_id)
        if conversation is not None:
            await conversations.add_message(
                act,
                conversation,
                text=f"E-mail to {sent.to_address} bounced: the customer did not receive it."
                f"\n{reason}",
                internal=True,
                author_kind="system",
                reopen=False,
            )
    if conversation is None:
        log.info("bounce for no mail of ours", extra={"fields": {"id": mail.message_id}})
    return conversation
