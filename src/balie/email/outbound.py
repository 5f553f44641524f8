"""Mail out: replies, acknowledgements and chat follow-ups, written to the outbox.

A mail is composed and committed in the same transaction as the reply it carries; the
outbox sender (``balie.email.sender``) delivers it after commit and retries. Each mail is
recorded by its Message-ID at once, so a customer's quick answer threads correctly.
"""

from __future__ import annotations

import datetime as dt
import html
import secrets
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, formataddr

from sqlalchemy import func, select

from balie.act import Act
from balie.chat import settings as chat_settings
from balie.email.addressing import bounce_address, reply_address
from balie.email.threading import MADE_UP, subject_key
from balie.errors import Conflict, NotFound
from balie.store.tables import (
    Conversation,
    ConversationTag,
    CustomerIdentity,
    Inbox,
    MailRecord,
    Message,
    OutboxMail,
)

# A chat reply the visitor has not read after this long goes to their e-mail address.
CHAT_FOLLOW_UP_DELAY = dt.timedelta(minutes=2)
# At most one acknowledgement per address per hour: two robots cannot ping-pong.
ACK_INTERVAL = dt.timedelta(hours=1)
REFERENCES_KEPT = 20
_REPLY_PREFIXES = ("re:", "antw:", "aw:")


def new_message_id(conversation_id: int, domain: str) -> str:
    return f"<balie.{conversation_id}.{secrets.token_hex(8)}@{domain}>"


def reply_subject(subject: str) -> str:
    return subject if subject.lower().startswith(_REPLY_PREFIXES) else f"Re: {subject}"


def as_html(text: str) -> str:
    """The HTML alternative of a plain reply: paragraphs and line breaks, all escaped."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = "".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</p>\n"
        for p in paragraphs
    )
    return (
        '<!DOCTYPE html><html><body style="font-family: sans-serif; line-height: 1.5">\n'
        f"{body}</body></html>\n"
    )


def compose(
    *,
    from_name: str,
    from_address: str,
    to: str,
    subject: str,
    text: str,
    message_id: str,
    reply_to: str | None,
    in_reply_to: str | None,
    references: list[str],
    automatic: bool,
    now: dt.datetime,
) -> bytes:
    """One outgoing mail as bytes: text and HTML alternatives, threading headers, and
    Auto-Submitted on mail no person wrote (RFC 3834), so well-behaved robots stay quiet."""
    mail = EmailMessage()
    mail["From"] = formataddr((from_name, from_address))
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = message_id
    if reply_to:
        mail["Reply-To"] = formataddr((from_name, reply_to))
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = " ".join(references)
    if automatic:
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(text)
    mail.add_alternative(as_html(text), subtype="html")
    # An address with non-ASCII letters is written as UTF-8 (RFC 6532); the relay is then
    # asked for SMTPUTF8 (sender.Relay).
    return mail.as_bytes(policy=SMTPUTF8 if not (to + from_address).isascii() else SMTP)


async def sender_inbox(act: Act, conversation: Conversation) -> Inbox | None:
    """The address Balie writes from: the conversation's e-mail inbox, else one of its
    team's, else any."""
    inbox = await act.session.get(Inbox, conversation.inbox_id) if conversation.inbox_id else None
    if inbox is not None and inbox.channel == "email" and inbox.address:
        return inbox
    candidates = select(Inbox).where(Inbox.channel == "email", Inbox.address.is_not(None))
    return await act.session.scalar(
        candidates.order_by((Inbox.team_id == conversation.team_id).desc(), Inbox.id).limit(1)
    )


async def _thread(act: Act, conversation_id: int) -> tuple[str | None, list[str]]:
    rows = list(
        await act.session.execute(
            select(MailRecord.direction, MailRecord.header_id)
            .where(MailRecord.conversation_id == conversation_id, MailRecord.kind == "mail")
            .order_by(MailRecord.id)
        )
    )
    # Ids Balie made up (for mail that had none, or an unusable one) mean nothing to the
    # customer's mail client; only real ones thread there.
    real = [(d, h) for d, h in rows if not h.endswith(MADE_UP)]
    last_in = next((h for d, h in reversed(real) if d == "in"), None)
    return last_in, [h for _, h in real][-REFERENCES_KEPT:]


async def _customer_address(act: Act, conversation: Conversation) -> str | None:
    """Which of the customer's addresses they wrote from last, else their first working
    one. Never a third party's: a colleague on copy who answered does not get the reply."""
    last = await act.session.scalar(
        select(MailRecord.address)
        .join(
            CustomerIdentity,
            (CustomerIdentity.value == MailRecord.address)
            & (CustomerIdentity.kind == "email")
            & (CustomerIdentity.customer_id == conversation.customer_id),
        )
        .where(
            MailRecord.conversation_id == conversation.id,
            MailRecord.direction == "in",
            MailRecord.kind == "mail",
        )
        .order_by(MailRecord.id.desc())
        .limit(1)
    )
    if last:
        return last
    address: str | None = await act.session.scalar(
        select(CustomerIdentity.value)
        .where(
            CustomerIdentity.customer_id == conversation.customer_id,
            CustomerIdentity.kind == "email",
            CustomerIdentity.value.contains("@"),
        )
        .order_by(CustomerIdentity.failing_since.is_not(None), CustomerIdentity.id)
        .limit(1)
    )
    return address


async def _enqueue(
    act: Act,
    conversation: Conversation,
    inbox: Inbox,
    *,
    purpose: str,
    to: str,
    text: str,
    message: Message | None,
    automatic: bool,
    due: dt.datetime,
    unless_read_seq: int | None = None,
    staff_subject: str | None = None,
) -> OutboxMail:
    """``staff_subject``: a mail to a colleague about the conversation (an alert), which
    is neither threaded with the customer's mail nor answerable into the conversation."""
    assert inbox.address is not None
    domain = inbox.address.partition("@")[2]
    message_id = new_message_id(conversation.id, domain)
    staff = staff_subject is not None
    in_reply_to, references = (None, []) if staff else await _thread(act, conversation.id)
    content = compose(
        from_name=inbox.name,
        from_address=inbox.address,
        to=to,
        subject=staff_subject or reply_subject(conversation.subject),
        text=text,
        message_id=message_id,
        reply_to=None if staff else reply_address(inbox.address, inbox.secret, conversation.id),
        in_reply_to=in_reply_to,
        references=references,
        automatic=automatic,
        now=act.now,
    )
    mail = OutboxMail(
        conversation_id=conversation.id,
        message_id=message.id if message else None,
        purpose=purpose,
        from_address=inbox.address,  # until the row has its number, below
        to_address=to,
        header_id=message_id,
        content=content,
        status="queued",
        attempts=0,
        next_attempt_at=due,
        unless_read_seq=unless_read_seq,
        created_at=act.now,
    )
    act.session.add(mail)
    await act.session.flush()
    # The envelope sender names this mail: its bounce says exactly which mail failed.
    mail.from_address = bounce_address(inbox.address, inbox.secret, mail.id)
    if staff:
        return mail
    act.session.add(
        MailRecord(
            inbox_id=inbox.id,
            conversation_id=conversation.id,
            message_id=message.id if message else None,
            direction="out",
            header_id=message_id,
            address=to,
            subject_key=subject_key(conversation.subject),
            kind="mail" if not automatic else "auto_reply",
            source=f"outbox:{purpose}",
            created_at=act.now,
        )
    )
    await act.session.flush()
    return mail


async def on_agent_reply(act: Act, conversation: Conversation, message: Message) -> None:
    """An agent's reply reaches an e-mail customer by e-mail, and a chat visitor who left
    an address and has not read it by e-mail too."""
    if conversation.channel not in ("email", "chat"):
        return
    to = await _customer_address(act, conversation)
    inbox = await sender_inbox(act, conversation) if to else None
    if to is None or inbox is None:
        return
    # A chat visitor who asked for an answer by e-mail gets it at once; one still chatting
    # reads it in the widget, and the mail is dropped; an e-mail customer gets it now.
    waits = conversation.channel == "chat" and not await act.session.scalar(
        select(ConversationTag.tag).where(
            ConversationTag.conversation_id == conversation.id,
            ConversationTag.tag == "email-follow-up",
        )
    )
    await _enqueue(
        act,
        conversation,
        inbox,
        purpose="reply" if conversation.channel == "email" else "chat_follow_up",
        to=to,
        text=message.text,
        message=message,
        automatic=False,
        due=act.now + CHAT_FOLLOW_UP_DELAY if waits else act.now,
        unless_read_seq=message.seq if waits else None,
    )


async def mail_customer(
    act: Act, conversation: Conversation, *, purpose: str, text: str
) -> OutboxMail | None:
    """An automatic mail to the conversation's customer (a survey, an incident update, a
    block notice), threaded with the conversation. None when Balie has no address for
    them or no e-mail inbox to write from."""
    to = await _customer_address(act, conversation)
    inbox = await sender_inbox(act, conversation) if to else None
    if to is None or inbox is None:
        return None
    return await _enqueue(
        act,
        conversation,
        inbox,
        purpose=purpose,
        to=to,
        text=text,
        message=None,
        automatic=True,
        due=act.now,
    )


async def mail_staff(
    act: Act, conversation: Conversation, *, to: str, subject: str, text: str
) -> OutboxMail | None:
    """A mail to a colleague about a conversation (an alert); None without an e-mail inbox."""
    inbox = await sender_inbox(act, conversation)
    if inbox is None:
        return None
    return await _enqueue(
        act,
        conversation,
        inbox,
        purpose="alert",
        to=to,
        text=text,
        message=None,
        automatic=True,
        due=act.now,
        staff_subject=subject,
    )


ACK_TEXT = {
    "nl": (
        "Bedankt voor uw bericht. We hebben het ontvangen als gesprek #{id} en antwoorden "
        "zo snel mogelijk{when}. Wilt u iets toevoegen? Beantwoord dan deze e-mail.\n\n"
        "Met vriendelijke groet,\n{name}"
    ),
    "en": (
        "Thank you for your message. We received it as conversation #{id} and will answer "
        "as soon as we can{when}. To add anything, reply to this e-mail.\n\n"
        "Kind regards,\n{name}"
    ),
}
WHEN = {"nl": ", vanaf {at}", "en": ", from {at}"}


def acknowledgement_text(language: str, conversation_id: int, name: str, opens: str | None) -> str:
    language = language if language in ACK_TEXT else "nl"
    when = WHEN[language].format(at=opens) if opens else ""
    return ACK_TEXT[language].format(id=conversation_id, when=when, name=name)


async def acknowledge(
    act: Act, inbox: Inbox, conversation: Conversation, *, to: str
) -> OutboxMail | None:
    """The automatic "we received it" for a new conversation, where the inbox wants one."""
    if not (inbox.email or {}).get("acknowledge") or not inbox.address:
        return None
    recent = await act.session.scalar(
        select(func.count())
        .select_from(OutboxMail)
        .where(
            OutboxMail.to_address == to,
            OutboxMail.purpose == "acknowledgement",
            OutboxMail.created_at > act.now - ACK_INTERVAL,
        )
    )
    if recent:
        return None
    is_open, back = chat_settings.opening(inbox.hours, act.now)
    opens = None
    if not is_open and back:
        opens = dt.datetime.fromisoformat(back).strftime("%Y-%m-%d %H:%M")
    text = acknowledgement_text(conversation.language or "nl", conversation.id, inbox.name, opens)
    return await _enqueue(
        act,
        conversation,
        inbox,
        purpose="acknowledgement",
        to=to,
        text=text,
        message=None,
        automatic=True,
        due=act.now,
    )


async def retry(act: Act, mail_id: int, conversation_id: int) -> OutboxMail:
    """An agent sends a failed mail again (after the customer's address was corrected,
    say); the attempts start over."""
    mail = await act.session.get(OutboxMail, mail_id)
    if mail is None or mail.conversation_id != conversation_id:
        raise NotFound(f"Outgoing mail {mail_id} does not exist in this conversation.")
    if mail.status != "failed":
        raise Conflict(f"Only a failed mail can be sent again; this one is {mail.status}.")
    mail.status, mail.attempts, mail.next_attempt_at = "queued", 0, act.now
    await act.audit(
        "mail.retry",
        f"conversation:{conversation_id}",
        after={"outbox_id": mail.id, "to": mail.to_address, "last_error": mail.last_error},
    )
    return mail
