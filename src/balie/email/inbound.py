"""Mail in: one received e-mail becomes a customer message in the right conversation.

Every route in (the SMTP receiver, IMAP polling) ends in ``receive``: it parses outside the
write transaction, then stores the message, its attachments and the original in one
transaction. The SMTP receiver answers ``250`` only after that commit, so a sender whose
mail Balie could not store is told to try again: nothing a customer sent is lost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update

from balie.act import SYSTEM, Act, utcnow
from balie.chat.actions import store_attachment
from balie.conversations import actions as conversations
from balie.conversations.rules import MAX_MESSAGE_CHARS, MAX_SUBJECT_CHARS
from balie.customers.actions import customer_for_email, customer_for_identity
from balie.email import outbound, threading
from balie.email.addressing import split_recipient, token_conversation
from balie.email.parse import ParsedMail, parse
from balie.errors import BalieError
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
TRUNCATED = "\n\n[…] (Shortened here; the whole e-mail is kept as the original.)"


class MailRefused(BalieError):
    """An SMTP answer other than 250: 4xx asks the sender to retry, 5xx refuses for good."""

    code = "mail_refused"

    def __init__(self, smtp_code: int, text: str) -> None:
        super().__init__(text)
        self.smtp_code = smtp_code
        self.smtp_text = text

    @property
    def temporary(self) -> bool:
        return 400 <= self.smtp_code < 500

    def reply(self) -> str:
        return f"{self.smtp_code} {self.smtp_text}"


@dataclass(frozen=True)
class Received:
    conversation_id: int | None
    message_id: int | None
    created: bool  # a new conversation
    duplicate: bool  # the same mail was stored before; nothing new was written
    kind: str


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


def _tokens(inbox: Inbox, recipients: Sequence[str]) -> list[int]:
    found = []
    for address in recipients:
        split = split_recipient(address)
        if split and split.tag and split.base == inbox.address:
            conversation_id = token_conversation(inbox.secret, split.tag)
            if conversation_id is not None:
                found.append(conversation_id)
    return found


def header_id(mail: ParsedMail, raw: bytes) -> str:
    """The mail's Message-ID, or one made from its bytes: a retried delivery of a mail
    without one is still recognised."""
    return mail.message_id or f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.balie>"


async def receive(
    db: Database,
    raw: bytes,
    *,
    recipients: Sequence[str],
    envelope_from: str | None = None,
    source: str = "smtp",
    inbox_id: int | None = None,
    sender_limit_per_hour: int = 30,
) -> Received:
    """Store one received mail. ``recipients`` are the envelope's (SMTP) or, for a polled
    mailbox, ``inbox_id`` names the inbox. Raises ``MailRefused``."""
    # CPU work, before the write lock is taken; a big mail in a thread, so live chat on
    # this event loop does not stall while it is read.
    mail = parse(raw) if len(raw) < PARSE_INLINE_BYTES else await asyncio.to_thread(parse, raw)
    if inbox_id is None:
        addressed = inbox_for(await email_inboxes(db), recipients)
        if addressed is None:
            raise MailRefused(550, "5.1.1 No Balie inbox has this address")
        inbox_id = addressed.id
    async with db.writing() as session:
        act = Act(session, SYSTEM, utcnow())
        found = await session.get(Inbox, inbox_id)
        if found is None:
            raise MailRefused(550, "5.1.1 No Balie inbox has this address")
        return await _store(
            act,
            found,
            mail,
            raw,
            recipients=[*recipients, *mail.recipients],
            envelope_from=envelope_from,
            source=source,
            sender_limit_per_hour=sender_limit_per_hour,
        )


async def _store(
    act: Act,
    inbox: Inbox,
    mail: ParsedMail,
    raw: bytes,
    *,
    recipients: list[str],
    envelope_from: str | None,
    source: str,
    sender_limit_per_hour: int,
) -> Received:
    session = act.session
    mail_id = header_id(mail, raw)
    earlier = await session.scalar(
        select(MailRecord).where(
            MailRecord.inbox_id == inbox.id,
            MailRecord.direction == "in",
            MailRecord.header_id == mail_id,
        )
    )
    if earlier is not None:
        return Received(earlier.conversation_id, earlier.message_id, False, True, earlier.kind)
    sender = mail.from_address or _address(envelope_from)
    if sender is not None and mail.kind != "bounce":
        recent = await session.scalar(
            select(func.count())
            .select_from(MailRecord)
            .where(
                MailRecord.address == sender,
                MailRecord.direction == "in",
                MailRecord.created_at > act.now - dt.timedelta(hours=1),
            )
        )
        if (recent or 0) >= sender_limit_per_hour:
            # A loop between two robots: make the sender wait rather than store thousands.
            # 4xx, so a person's mail still arrives once the hour has passed.
            raise MailRefused(451, "4.7.1 Too many messages from this sender; try again later")
    record = MailRecord(
        inbox_id=inbox.id,
        direction="in",
        header_id=mail_id,
        address=sender,
        subject_key=threading.subject_key(mail.subject),
        kind=mail.kind,
        source=source[:300],
        raw=raw,
        created_at=act.now,
    )
    if mail.kind == "bounce":
        conversation = await _bounce(act, mail)
        record.conversation_id = conversation.id if conversation else None
        session.add(record)
        return Received(record.conversation_id, None, False, False, mail.kind)
    customer = await _customer(act, mail, sender)
    conversation = await threading.find_conversation(
        act,
        inbox,
        mail,
        tokens=_tokens(inbox, recipients),
        customer_id=customer.id,
        address=sender,
    )
    text = _message_text(mail)
    created = conversation is None
    if conversation is None:
        conversation, message = await conversations.create_conversation(
            act,
            customer=customer,
            subject=_subject(mail),
            text=text,
            channel="email",
            inbox_id=inbox.id,
            tags=_tags(mail),
        )
    else:
        message, _ = await conversations.add_message(
            act,
            conversation,
            text=text,
            internal=False,
            author_kind="customer",
            # An out-of-office answer to our reply is kept, but does not reopen anything.
            reopen=mail.kind == "mail",
        )
    await _attach(act, message, mail)
    record.conversation_id, record.message_id = conversation.id, message.id
    session.add(record)
    if sender is not None:
        await _clear_failure(act, sender)
    if created and mail.kind == "mail" and sender and "@" in sender:
        await outbound.acknowledge(act, inbox, conversation, to=sender)
    return Received(conversation.id, message.id, created, False, mail.kind)


def _address(value: str | None) -> str | None:
    if not value:
        return None
    split = split_recipient(value)
    return None if split is None else (value.strip().strip("<>").lower())


async def _customer(act: Act, mail: ParsedMail, sender: str | None) -> Customer:
    if sender is None:
        return await customer_for_identity(
            act, kind="email", value=UNKNOWN_SENDER, name="Unknown sender", email=None
        )
    name = " ".join(mail.from_name.split())[:200] or sender.split("@")[0][:200] or sender
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
        row = await store_attachment(
            act,
            owner=f"mail:{message.id}",
            name=part.name,
            content_type=part.content_type,
            data=part.data,
            any_type=True,
        )
        row.message_id = message.id
        stored.append({"id": row.id, "name": row.name, "type": row.content_type, "size": row.size})
    if stored:
        message.attachments = stored


async def _clear_failure(act: Act, address: str) -> None:
    """A customer writing from an address shows it works again."""
    await act.session.execute(
        update(CustomerIdentity)
        .where(
            CustomerIdentity.kind == "email",
            CustomerIdentity.value == address,
            CustomerIdentity.failing_since.is_not(None),
        )
        .values(failing_since=None, failure=None)
    )


async def _bounce(act: Act, mail: ParsedMail) -> Conversation | None:
    """A delivery failure: the address is marked failing and the conversation whose mail
    bounced gets a note, so the agent knows the customer did not receive the answer."""
    conversation = None
    for address in mail.failed_recipients:
        identity = await act.session.scalar(
            select(CustomerIdentity).where(
                CustomerIdentity.kind == "email", CustomerIdentity.value == address
            )
        )
        reason = (mail.reply or mail.text).strip()[:500] or "The receiving server refused it."
        if identity is not None and identity.failing_since is None:
            identity.failing_since, identity.failure = act.now, reason
            await act.audit(
                "customer.email_failing",
                f"customer:{identity.customer_id}",
                after={"email": address, "failure": reason},
            )
        last = await act.session.scalar(
            select(OutboxMail)
            .where(OutboxMail.to_address == address, OutboxMail.status == "sent")
            .order_by(OutboxMail.id.desc())
            .limit(1)
        )
        if last is None:
            continue
        conversation = await act.session.get(Conversation, last.conversation_id)
        if conversation is not None:
            await conversations.add_message(
                act,
                conversation,
                text=f"E-mail to {address} bounced: the customer did not receive it.\n{reason}",
                internal=True,
                author_kind="system",
                reopen=False,
            )
    if not mail.failed_recipients:
        log.info("bounce without failed recipients", extra={"fields": {"id": mail.message_id}})
    return conversation
