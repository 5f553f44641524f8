"""Actions on conversations and their messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import nh3
from sqlalchemy import delete, select, update

from balie.act import Act
from balie.analysis.model import Triage
from balie.chat import routing
from balie.conversations import guardrails, workflows
from balie.conversations.access import can_see
from balie.conversations.rules import (
    AUTHOR_KINDS,
    CHANNELS,
    MAX_MESSAGE_CHARS,
    MAX_SUBJECT_CHARS,
    PRIORITIES,
    SEVERITIES,
    URGENCY,
    clean_tags,
    transition_error,
)
from balie.email import outbound
from balie.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from balie.search.index import index_message
from balie.store.tables import (
    Agent,
    Conversation,
    ConversationTag,
    Customer,
    Handover,
    Inbox,
    Message,
    Order,
)


async def tags_of(act: Act, conversation_id: int) -> list[str]:
    rows = await act.session.scalars(
        select(ConversationTag.tag)
        .where(ConversationTag.conversation_id == conversation_id)
        .order_by(ConversationTag.tag)
    )
    return list(rows)


async def get_visible(act: Act, conversation_id: int) -> Conversation:
    """The conversation, if the actor may see it; unknown and invisible look the same."""
    conversation = await act.session.get(Conversation, conversation_id)
    if conversation is None or not await can_see(act.session, act.actor, conversation):
        raise NotFound(f"Conversation {conversation_id} does not exist.")
    return conversation


def _check_text(body: str) -> str:
    if "\x00" in body:
        # PostgreSQL cannot store NUL in text and SQLite would; refuse it on both.
        raise InvalidInput("A message must not contain NUL characters.", field="text")
    body = body.strip()
    if not body:
        raise InvalidInput("A message cannot be empty.", field="text")
    if len(body) > MAX_MESSAGE_CHARS:
        raise InvalidInput(f"A message is limited to {MAX_MESSAGE_CHARS} characters.", field="text")
    return body


async def create_conversation(
    act: Act,
    *,
    customer: Customer,
    subject: str,
    text: str,
    channel: str = "api",
    inbox_id: int | None = None,
    priority: str = "normal",
    severity: str = "normal",
    language: str | None = None,
    tags: list[str] = (),  # type: ignore[assignment]
    order_id: int | None = None,
    html: str | None = None,
    client_id: str | None = None,
    visitor: str | None = None,
    triaged: Triage | None = None,
) -> tuple[Conversation, Message]:
    """A new conversation opened by the customer's first message. ``visitor`` is the chat
    visitor who may read it in the widget."""
    subject = " ".join(subject.split())
    if not subject or len(subject) > MAX_SUBJECT_CHARS:
        raise InvalidInput(f"A subject needs 1 to {MAX_SUBJECT_CHARS} characters.", field="subject")
    if channel not in CHANNELS:
        raise InvalidInput(f"Channel must be one of {', '.join(CHANNELS)}.", field="channel")
    if priority not in PRIORITIES:
        raise InvalidInput(f"Priority must be one of {', '.join(PRIORITIES)}.", field="priority")
    if severity not in SEVERITIES:
        raise InvalidInput(f"Severity must be one of {', '.join(SEVERITIES)}.", field="severity")
    if language not in (None, "nl", "en"):
        raise InvalidInput("Language must be nl, en or null.", field="language")
    body = _check_text(text)
    try:
        tag_list = clean_tags(list(tags))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="tags") from exc
    team_id = None
    if inbox_id is not None:
        inbox = await act.session.get(Inbox, inbox_id)
        if inbox is None:
            raise NotFound(f"Inbox {inbox_id} does not exist.", field="inbox_id")
        team_id = inbox.team_id
    if order_id is not None:
        order = await act.session.get(Order, order_id)
        if order is None or order.customer_id != customer.id:
            raise NotFound(f"Order {order_id} does not exist for this customer.", field="order_id")
    conversation = Conversation(
        customer_id=customer.id,
        inbox_id=inbox_id,
        team_id=team_id,
        order_id=order_id,
        status="open",
        priority=priority,
        severity=severity,
        urgency=URGENCY[severity],
        channel=channel,
        subject=subject,
        language=language or customer.language,
        visitor=visitor,
        last_seq=0,
        created_at=act.now,
        updated_at=act.now,
        last_activity_at=act.now,
    )
    act.session.add(conversation)
    await act.session.flush()
    act.session.add_all(ConversationTag(conversation_id=conversation.id, tag=t) for t in tag_list)
    await act.audit(
        "conversation.create",
        f"conversation:{conversation.id}",
        after={**_snapshot(conversation), "tags": tag_list},
    )
    message = await _append(
        act,
        conversation,
        author_kind="customer",
        author_agent_id=None,
        internal=False,
        text=body,
        html=html,
        client_id=client_id,
        triaged=triaged,
    )
    await workflows.on_customer_message(act, conversation, message, new=True)
    return conversation, message


async def _append(
    act: Act,
    conversation: Conversation,
    *,
    author_kind: str,
    author_agent_id: int | None,
    internal: bool,
    text: str,
    html: str | None,
    client_id: str | None,
    triaged: Triage | None = None,
) -> Message:
    # The row update takes the next number atomically on both backends.
    seq = await act.session.scalar(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(last_seq=Conversation.last_seq + 1, last_activity_at=act.now, updated_at=act.now)
        .returning(Conversation.last_seq)
    )
    assert seq is not None
    conversation.last_seq = seq
    # Judged before the insert, so the message row is written once, with its triage.
    judged = guardrails.judge(conversation, text, triaged) if author_kind == "customer" else None
    message = Message(
        conversation_id=conversation.id,
        seq=seq,
        author_kind=author_kind,
        author_agent_id=author_agent_id,
        internal=internal,
        text=text,
        html=nh3.clean(html) if html else None,
        attachments=[],
        client_id=client_id,
        triage=judged.as_json() if judged else None,
        created_at=act.now,
    )
    act.session.add(message)
    await act.session.flush()
    await index_message(act.session, message.id, text)
    await act.audit(
        "message.create",
        f"conversation:{conversation.id}",
        after={
            "seq": seq,
            "message_id": message.id,
            "author_kind": author_kind,
            "author_agent_id": author_agent_id,
            "internal": internal,
        },
    )
    if judged is not None:
        await guardrails.apply_triage(act, conversation, message, judged)
    return message


async def add_message(
    act: Act,
    conversation: Conversation,
    *,
    text: str,
    internal: bool,
    author_kind: str = "agent",
    html: str | None = None,
    client_id: str | None = None,
    override_id: int | None = None,
    override_reason: str | None = None,
    retry_checked: bool = False,
    reopen: bool = True,
    triaged: Triage | None = None,
) -> tuple[Message, bool]:
    """Append a reply or an internal note. Returns (message, created); a retried
    ``client_id`` returns the message stored the first time and creates nothing
    (``retry_checked``: the caller has already looked for it, in a wider scope).

    An agent's text passes the coach first: a blocked text (an insult) is refused unless
    an override allows it; warnings are stored on the message; promises become rows.
    ``reopen=False`` keeps the status (an out-of-office answer, a bounce note)."""
    if author_kind not in AUTHOR_KINDS:
        raise InvalidInput(f"Author must be one of {', '.join(AUTHOR_KINDS)}.", field="author")
    if author_kind == "customer" and internal:
        raise InvalidInput("A customer cannot write an internal note.", field="internal")
    body = _check_text(text)
    if client_id is not None:
        if not 1 <= len(client_id) <= 100:
            raise InvalidInput("client_id must be 1 to 100 characters.", field="client_id")
        earlier = (
            None
            if retry_checked
            else await act.session.scalar(
                select(Message).where(
                    Message.conversation_id == conversation.id, Message.client_id == client_id
                )
            )
        )
        if earlier is not None:
            return earlier, False
    agent_id = act.actor.id if author_kind == "agent" and act.actor.kind == "agent" else None
    coaching = None
    if author_kind == "agent":
        coaching, record = await guardrails.check_draft(
            act,
            conversation,
            text=body,
            internal=internal,
            override_id=override_id,
            override_reason=override_reason,
        )
    message = await _append(
        act,
        conversation,
        author_kind=author_kind,
        author_agent_id=agent_id,
        internal=internal,
        text=body,
        html=html,
        client_id=client_id,
        triaged=triaged,
    )
    if coaching is not None:
        message.coaching = record
        if not internal:
            await guardrails.record_promises(act, conversation, message, coaching)
            await outbound.on_agent_reply(act, conversation, message)
    if reopen and author_kind == "customer" and conversation.status != "open":
        # A customer writing again reopens the conversation: nobody is ignored.
        await _set_status(act, conversation, "open", snoozed_until=None)
    if author_kind == "customer":
        # reopen=False: an automatic mail (out-of-office, list mail), not the customer.
        await workflows.on_customer_message(act, conversation, message, new=False, contact=reopen)
    elif author_kind in ("agent", "bot") and not internal:
        await workflows.on_agent_reply(act, conversation, message)
    return message, True


def _snapshot(c: Conversation) -> dict[str, Any]:
    return {
        "status": c.status,
        "owner_id": c.owner_id,
        "team_id": c.team_id,
        "priority": c.priority,
        "severity": c.severity,
        "subject": c.subject,
        "snoozed_until": c.snoozed_until,
        "customer_id": c.customer_id,
        "channel": c.channel,
    }


async def _set_status(
    act: Act, conversation: Conversation, status: str, *, snoozed_until: dt.datetime | None
) -> None:
    before = _snapshot(conversation)
    conversation.status = status
    conversation.snoozed_until = snoozed_until if status == "snoozed" else None
    conversation.resolved_at = act.now if status == "resolved" else None
    conversation.updated_at = act.now
    await act.audit(
        "conversation.status",
        f"conversation:{conversation.id}",
        before=before,
        after=_snapshot(conversation),
    )
    # A snooze ends by itself: a durable timer reopens the conversation at its time, so
    # the SLA clocks run again. Snoozing again moves it; any other status cancels it,
    # unless its time has come (then it is firing now, or will find nothing to do).
    # Imported here: balie.conversations.timers imports this module.
    from balie.conversations.timers import wake_key
    from balie.timers import actions as timers

    if status == "snoozed" and conversation.snoozed_until is not None:
        until = conversation.snoozed_until.astimezone(dt.UTC)
        await timers.schedule(
            act,
            key=wake_key(conversation.id),
            kind="conversations.wake",
            due_at=until,
            payload={"conversation_id": conversation.id, "until": until.isoformat()},
        )
    elif before["snoozed_until"] is not None and before["snoozed_until"] > act.now:
        await timers.cancel(act, wake_key(conversation.id))
    await workflows.on_status(act, conversation, before["status"])


async def change_status(
    act: Act, conversation: Conversation, status: str, *, snoozed_until: dt.datetime | None = None
) -> Conversation:
    problem = transition_error(conversation.status, status)
    if problem:
        raise IllegalTransition(problem, current=conversation.status, requested=status)
    if status == "snoozed":
        if snoozed_until is None or snoozed_until <= act.now:
            raise InvalidInput(
                "Snoozing needs a snoozed_until time in the future.", field="snoozed_until"
            )
    elif snoozed_until is not None:
        raise InvalidInput("snoozed_until only goes with status snoozed.", field="snoozed_until")
    await _set_status(act, conversation, status, snoozed_until=snoozed_until)
    if conversation.channel == "chat" and status == "resolved" and conversation.owner_id:
        # A finished chat frees a place: the longest-waiting visitor gets it.
        await routing.route_queue(act, conversation.team_id)
    return conversation


async def _active_agent(act: Act, agent_id: int, field: str) -> Agent:
    agent = await act.session.get(Agent, agent_id)
    if agent is None or not agent.active:
        raise NotFound(f"Agent {agent_id} does not exist.", field=field)
    return agent


async def assign(act: Act, conversation: Conversation, owner_id: int | None) -> Conversation:
    """Set the owner directly: a supervisor's assignment, or an agent taking an unowned one.
    Passing an owned conversation to a colleague goes through ``request_handover``."""
    if owner_id == conversation.owner_id:
        return conversation
    is_lead = act.actor.role in ("supervisor", "admin")
    taking_unowned = conversation.owner_id is None and owner_id == act.actor.id
    if not (is_lead or taking_unowned):
        raise Forbidden(
            "Agents take unowned conversations; to pass one on, request a hand-over.",
        )
    if owner_id is not None:
        await _active_agent(act, owner_id, "owner_id")
    before = _snapshot(conversation)
    conversation.owner_id = owner_id
    conversation.updated_at = act.now
    # A direct assignment settles any pending hand-over.
    cancelled = await pending_handover(act, conversation.id)
    if cancelled is not None:
        cancelled.status, cancelled.decided_at = "cancelled", act.now
    await act.audit(
        "conversation.assign",
        f"conversation:{conversation.id}",
        before=before,
        after={
            **_snapshot(conversation),
            "cancelled_handover_id": cancelled.id if cancelled else None,
        },
    )
    return conversation


async def set_tags(act: Act, conversation: Conversation, tags: list[str]) -> list[str]:
    try:
        new = clean_tags(tags)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="tags") from exc
    old = await tags_of(act, conversation.id)
    if sorted(new) == old:
        return old
    await act.session.execute(
        delete(ConversationTag).where(ConversationTag.conversation_id == conversation.id)
    )
    act.session.add_all(ConversationTag(conversation_id=conversation.id, tag=t) for t in new)
    conversation.updated_at = act.now
    await act.audit(
        "conversation.tags",
        f"conversation:{conversation.id}",
        before={"tags": old},
        after={"tags": sorted(new)},
    )
    return sorted(new)


async def pending_handover(act: Act, conversation_id: int) -> Handover | None:
    return await act.session.scalar(
        select(Handover).where(
            Handover.conversation_id == conversation_id, Handover.status == "pending"
        )
    )


async def request_handover(
    act: Act, conversation: Conversation, *, to_agent_id: int, note: str
) -> Handover:
    """Offer the conversation to a colleague. The owner stays until they accept (D6)."""
    if (
        act.actor.kind == "agent"
        and act.actor.role == "agent"
        and conversation.owner_id
        not in (
            None,
            act.actor.id,
        )
    ):
        raise Forbidden("Only the owner or a supervisor can hand this conversation over.")
    target = await _active_agent(act, to_agent_id, "to_agent_id")
    if target.id == conversation.owner_id:
        raise Conflict("That agent already owns this conversation.")
    if await pending_handover(act, conversation.id) is not None:
        raise Conflict("A hand-over is already waiting for an answer.")
    note = note.strip()
    if len(note) > 2000:
        raise InvalidInput("A hand-over note is limited to 2,000 characters.", field="note")
    handover = Handover(
        conversation_id=conversation.id,
        from_agent_id=conversation.owner_id,
        to_agent_id=target.id,
        note=note,
        status="pending",
        created_at=act.now,
    )
    act.session.add(handover)
    await act.session.flush()
    await act.audit(
        "handover.request",
        f"conversation:{conversation.id}",
        after={"handover_id": handover.id, "from": handover.from_agent_id, "to": target.id},
    )
    return handover


async def decide_handover(act: Act, handover_id: int, *, accept: bool) -> Handover:
    handover = await act.session.get(Handover, handover_id)
    if handover is None or handover.to_agent_id != act.actor.id:
        raise NotFound(f"Hand-over {handover_id} is not waiting for you.")
    if handover.status != "pending":
        raise Conflict(f"This hand-over was already {handover.status}.")
    conversation = await act.session.get(Conversation, handover.conversation_id)
    assert conversation is not None
    before = _snapshot(conversation)
    handover.status = "accepted" if accept else "declined"
    handover.decided_at = act.now
    if accept:
        conversation.owner_id = handover.to_agent_id
        conversation.updated_at = act.now
    await act.audit(
        f"handover.{handover.status}",
        f"conversation:{conversation.id}",
        before=before,
        after={**_snapshot(conversation), "handover_id": handover.id},
    )
    return handover
