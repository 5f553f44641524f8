"""What visitors and agents do in live chat. Every change goes through here (or the
conversation actions it calls), inside the caller's write transaction."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select, update

from balie.abuse import queries as abuse_queries
from balie.act import Act
from balie.addresses import normalise_email
from balie.chat import routing, settings
from balie.chat.visitors import Visitor
from balie.conversations import actions as conversations
from balie.customers.actions import customer_for_identity
from balie.email.imap import clean_imap
from balie.errors import Conflict, InvalidInput, NotFound, TooLarge, UnsupportedType
from balie.store.tables import (
    Agent,
    AgentPresence,
    Attachment,
    Conversation,
    Customer,
    Inbox,
    Message,
    Order,
)

PRESENCE_STATUSES = ("online", "away", "offline")
MAX_CAPACITY = 50
# Chats at once for an agent who has not said otherwise.
DEFAULT_CAPACITY = 3
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
)
MAX_ATTACHMENTS = 5
FOLLOW_UP_KINDS = {"email": "email-follow-up", "callback": "callback-request"}


async def inbox_by_key(act: Act, key: str) -> Inbox:
    inbox = await act.session.scalar(select(Inbox).where(Inbox.key == key)) if key else None
    if inbox is None or inbox.channel != "chat":
        raise NotFound("There is no chat inbox with this key.")
    return inbox


def _clean_acknowledge(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("acknowledge must be true or false.")
    return value


# Settings of an e-mail inbox, kept together in its ``email`` column.
EMAIL_SETTINGS = ("imap", "acknowledge")
PASSWORD_MASK = "********"


async def configure_inbox(act: Act, inbox: Inbox, changes: dict[str, Any]) -> Inbox:
    """Change an inbox's settings; every value is checked before anything is written."""
    cleaners = {
        "prechat": settings.clean_prechat,
        "topics": settings.clean_topics,
        "hours": settings.clean_hours,
        "incident": settings.clean_incident,
        "imap": clean_imap,
        "acknowledge": _clean_acknowledge,
    }
    imap = changes.get("imap")
    kept = (inbox.email or {}).get("imap") or {}
    if (
        isinstance(imap, dict)
        and imap.get("password") in (None, PASSWORD_MASK)
        and kept
        and all(imap.get(k, kept.get(k)) == kept.get(k) for k in ("host", "port", "username"))
    ):
        # The API shows the password masked; sending the settings back keeps it, but only
        # for the same account: the password never goes to a server it was not meant for.
        changes = {**changes, "imap": {**imap, "password": kept.get("password")}}
    elif isinstance(imap, dict) and imap.get("password") == PASSWORD_MASK:
        raise InvalidInput(
            "Give the password of this mail account: the stored one belongs to another.",
            field="imap.password",
        )
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in cleaners:
            raise InvalidInput(f"Unknown inbox setting: {name}.", field=name)
        try:
            cleaned[name] = cleaners[name](value)
        except ValueError as exc:
            raise InvalidInput(str(exc), field=name) from exc
    if inbox.channel != "email" and any(name in EMAIL_SETTINGS for name in cleaned):
        raise InvalidInput("imap and acknowledge are settings of an e-mail inbox.")
    email = dict(inbox.email or {})
    before = {
        name: email.get(name) if name in EMAIL_SETTINGS else getattr(inbox, name)
        for name in cleaned
    }
    for name, value in cleaned.items():
        if name in EMAIL_SETTINGS:
            email[name] = value
        else:
            setattr(inbox, name, value)
    inbox.email = email
    # The audit log keeps the change, never a mailbox password.
    await act.audit(
        "inbox.update",
        f"inbox:{inbox.id}",
        before=_without_password(before),
        after=_without_password(cleaned),
    )
    return inbox


def _without_password(values: dict[str, Any]) -> dict[str, Any]:
    imap = values.get("imap")
    if isinstance(imap, dict) and "password" in imap:
        return {**values, "imap": {**imap, "password": PASSWORD_MASK}}
    return values


def visitor_conversations(visitor: Visitor) -> Any:
    return (Conversation.inbox_id == visitor.inbox_id) & (Conversation.visitor == visitor.key)


async def current_conversation(act: Act, visitor: Visitor) -> Conversation | None:
    """The visitor's newest conversation in this inbox, ended or not."""
    return await act.session.scalar(
        select(Conversation)
        .where(visitor_conversations(visitor))
        .order_by(Conversation.id.desc())
        .limit(1)
    )


async def _earlier(act: Act, visitor: Visitor, client_id: str) -> Message | None:
    """A message this visitor already sent with ``client_id``, in any of their chats."""
    return await act.session.scalar(
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(visitor_conversations(visitor), Message.client_id == client_id)
    )


async def _retried(
    act: Act, visitor: Visitor, client_id: str
) -> tuple[Conversation, Message] | None:
    """What the first try of a retried ``client_id`` stored, if there was one."""
    earlier = await _earlier(act, visitor, client_id)
    if earlier is None:
        return None
    conversation = await act.session.get(Conversation, earlier.conversation_id)
    assert conversation is not None
    return conversation, earlier


def _check_client_id(client_id: Any) -> str:
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= 100:
        raise InvalidInput("client_id must be 1 to 100 characters.", field="client_id")
    return client_id


async def _attach(act: Act, visitor_key: str, message: Message, ids: Any) -> None:
    if not ids:
        return
    if not isinstance(ids, list) or len(ids) > MAX_ATTACHMENTS:
        raise InvalidInput(f"At most {MAX_ATTACHMENTS} attachments per message.")
    rows = list(
        await act.session.scalars(
            select(Attachment).where(
                Attachment.id.in_([i for i in ids if isinstance(i, int)]),
                Attachment.owner == visitor_key,
                Attachment.message_id.is_(None),
            )
        )
    )
    if len(rows) != len(set(ids)):
        raise InvalidInput("An attachment does not exist or was already sent.", field="attachments")
    for row in rows:
        row.message_id = message.id
    message.attachments = [
        {"id": r.id, "name": r.name, "type": r.content_type, "size": r.size} for r in rows
    ]


async def start_chat(
    act: Act,
    inbox: Inbox,
    visitor: Visitor,
    *,
    client_id: Any,
    text: Any,
    fields: Any,
    attachments: Any = None,
    prechat: list[dict[str, Any]] | None = None,
) -> tuple[Conversation, Message]:
    """A visitor's first message opens a conversation, routed to an agent with room.
    A retried ``client_id`` returns what the first try stored. ``prechat`` replaces the
    inbox's form (the offline form asks its own questions)."""
    client_id = _check_client_id(client_id)
    retried = await _retried(act, visitor, client_id)
    if retried is not None:
        return retried
    current = await current_conversation(act, visitor)
    if current is not None and current.status != "resolved":
        raise Conflict(
            "This visitor already has an open chat; send a message instead.",
            chat_code="conversation_open",
            conversation_id=current.id,
        )
    if not isinstance(text, str):
        raise InvalidInput("text must be a string.", field="text")
    try:
        answers = settings.clean_fields(
            inbox.prechat if prechat is None else prechat, inbox.topics, fields
        )
    except ValueError as exc:
        raise InvalidInput(str(exc), field="fields") from exc
    email = normalise_email(answers["email"]) if "email" in answers else None
    user = visitor.verified_user
    customer = await customer_for_identity(
        act,
        kind="site_user" if user else "visitor",
        value=f"{inbox.id}:{user}" if user else visitor.key,
        name=answers.get("name"),
        email=email,
    )
    # A blocked customer cannot open a chat; the refusal says until when (SCENARIOS A2).
    abuse_queries.refuse_blocked(customer, act.now)
    order_id = None
    if "order" in answers:
        order_id = await act.session.scalar(
            select(Order.id).where(
                Order.reference == answers["order"], Order.customer_id == customer.id
            )
        )
    subject = answers.get("topic") or " ".join(text.split())[:80] or "Chat"
    conversation, message = await conversations.create_conversation(
        act,
        customer=customer,
        subject=subject,
        text=text,
        channel="chat",
        inbox_id=inbox.id,
        order_id=order_id,
        client_id=client_id,
        visitor=visitor.key,
    )
    await _attach(act, visitor.key, message, attachments)
    if "order" in answers and order_id is None:
        # The visitor's words, kept for the agent even when no order matched.
        await conversations.add_message(
            act,
            conversation,
            text=f"Pre-chat order reference (not found for this customer): {answers['order']}",
            internal=True,
            author_kind="system",
        )
    await routing.route(act, conversation)
    return conversation, message


async def visitor_message(
    act: Act, visitor: Visitor, *, client_id: Any, text: Any, attachments: Any = None
) -> tuple[Conversation, Message]:
    """A message in the visitor's open chat; a retried ``client_id`` stores nothing new."""
    client_id = _check_client_id(client_id)
    retried = await _retried(act, visitor, client_id)
    if retried is not None:
        return retried
    conversation = await current_conversation(act, visitor)
    if conversation is None:
        raise NotFound("There is no chat yet; start one first.")
    if conversation.status == "resolved":
        raise Conflict("This chat has ended; start a new one.")
    if not isinstance(text, str):
        raise InvalidInput("text must be a string.", field="text")
    customer = await act.session.get(Customer, conversation.customer_id)
    if customer is not None:  # blocked while the chat was open
        abuse_queries.refuse_blocked(customer, act.now)
    message, _ = await conversations.add_message(
        act,
        conversation,
        text=text,
        internal=False,
        author_kind="customer",
        client_id=client_id,
        retry_checked=True,
    )
    await _attach(act, visitor.key, message, attachments)
    return conversation, message


async def end_chat(act: Act, visitor: Visitor) -> Conversation:
    """The visitor closes the chat (SCENARIOS A2: either side may end it)."""
    conversation = await current_conversation(act, visitor)
    if conversation is None or conversation.status == "resolved":
        raise Conflict("There is no open chat to end.")
    await conversations.add_message(
        act, conversation, text="The visitor ended the chat.", internal=False, author_kind="system"
    )
    await conversations.change_status(act, conversation, "resolved")
    return conversation


async def request_follow_up(
    act: Act, inbox: Inbox, visitor: Visitor, body: dict[str, Any]
) -> Conversation:
    """Outside business hours: an e-mail follow-up or a callback request instead of silence."""
    kind = body.get("kind")
    if kind not in FOLLOW_UP_KINDS:
        raise InvalidInput("kind must be email or callback.", field="kind")
    fields = {k: body.get(k) for k in ("name", "email") if body.get(k) is not None}
    phone, preferred = body.get("phone"), body.get("preferred_time")
    for name, value in (("phone", phone), ("preferred_time", preferred)):
        if value is not None and (not isinstance(value, str) or len(value) > 100):
            raise InvalidInput(f"{name} is text of at most 100 characters.", field=name)
    if kind == "email" and not fields.get("email"):
        raise InvalidInput("An e-mail follow-up needs an e-mail address.", field="email")
    if kind == "callback" and not (isinstance(phone, str) and phone.strip()):
        raise InvalidInput("A callback request needs a phone number.", field="phone")
    retried = await _retried(act, visitor, _check_client_id(body.get("client_id")))
    if retried is not None:  # the request is already there, notes and all
        return retried[0]
    conversation, _ = await start_chat(
        act,
        inbox,
        visitor,
        client_id=body.get("client_id"),
        text=body.get("text"),
        fields=fields,
        prechat=[{"name": "email", "required": kind == "email"}],
    )
    details = [f"Requested: {kind}"]
    if phone:
        details.append(f"Phone: {phone.strip()}")
    if preferred:
        details.append(f"Preferred time: {preferred.strip()}")
    await conversations.add_message(
        act, conversation, text="\n".join(details), internal=True, author_kind="system"
    )
    await conversations.set_tags(act, conversation, [FOLLOW_UP_KINDS[kind]])
    return conversation


async def mark_read(act: Act, conversation: Conversation, *, side: str, seq: Any) -> int | None:
    """Read receipts: the highest seq a side has seen. Returns the new mark, or None when
    it did not move. Not audited: it records attention, not a decision."""
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 < seq <= conversation.last_seq:
        raise InvalidInput("seq must be a message number of this conversation.", field="seq")
    column = Conversation.customer_read_seq if side == "customer" else Conversation.agent_read_seq
    moved = await act.session.scalar(
        update(Conversation)
        .where(Conversation.id == conversation.id, column < seq)
        .values({column: seq})
        .returning(Conversation.id)
    )
    return seq if moved is not None else None


async def set_presence(
    act: Act, agent: Agent, *, status: str, capacity: int | None = None
) -> AgentPresence:
    if status not in PRESENCE_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(PRESENCE_STATUSES)}.", field="status")
    if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
        raise InvalidInput(f"capacity must be 0 to {MAX_CAPACITY}.", field="capacity")
    presence = await act.session.get(AgentPresence, agent.id)
    before = None
    if presence is None:
        presence = AgentPresence(agent_id=agent.id, status=status, capacity=DEFAULT_CAPACITY)
        act.session.add(presence)
    else:
        before = {"status": presence.status, "capacity": presence.capacity}
    presence.status = status
    if capacity is not None:
        presence.capacity = capacity
    presence.updated_at = act.now
    if status == "online":
        presence.seen_at = act.now
    await act.audit(
        "agent.presence",
        f"agent:{agent.id}",
        before=before,
        after={"status": presence.status, "capacity": presence.capacity},
    )
    if status == "online":
        await routing.route_queue(act, agent.team_id)
    return presence


async def heartbeat(act: Act, agent_id: int) -> None:
    """The agent's live socket is alive: keep their presence fresh (not audited)."""
    await act.session.execute(
        update(AgentPresence).where(AgentPresence.agent_id == agent_id).values(seen_at=act.now)
    )


async def store_attachment(
    act: Act,
    *,
    owner: str,
    name: str,
    content_type: str,
    data: bytes,
    any_type: bool = False,
) -> Attachment:
    """Keep an uploaded file. ``any_type``: e-mail brings whatever customers attach (Word,
    spreadsheets); every attachment is served as a download only, never rendered."""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise TooLarge(f"An attachment is limited to {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB.")
    kind = content_type.split(";")[0].strip().lower()
    if not any_type and kind not in ATTACHMENT_TYPES:
        raise UnsupportedType(
            f"Attachments of type {kind or 'unknown'} are not accepted; "
            f"allowed: {', '.join(ATTACHMENT_TYPES)}."
        )
    if not data:
        raise InvalidInput("The file is empty.", field="file")
    clean_name = "".join(c for c in name if c.isprintable() and c not in '/\\"').strip()[:200]
    attachment = Attachment(
        owner=owner,
        name=clean_name or "attachment",
        content_type=kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        created_at=act.now,
    )
    act.session.add(attachment)
    await act.session.flush()
    await act.audit(
        "attachment.create",
        f"attachment:{attachment.id}",
        after={"owner": owner, "name": attachment.name, "type": kind, "size": len(data)},
    )
    return attachment
