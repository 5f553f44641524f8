"""Abusive customers (SCENARIOS A2, A4): the boundary message, ending the chat, blocking,
and bringing a supervisor in. Each step is an action: checked, written and audited in the
caller's transaction; supervisors hear of the serious ones at once.

A blocked customer's e-mail is still stored (nothing a customer sent is lost) but parked:
``on_customer_message`` snoozes it until the block ends and tags it "blocked".
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from balie.abuse import queries
from balie.act import Act
from balie.agents.roles import at_least
from balie.alerts import actions as alerts
from balie.conversations import actions as conversation_actions
from balie.conversations.access import visible_to
from balie.conversations.rules import MAX_TAGS
from balie.errors import Conflict, Forbidden, InvalidInput, NotFound
from balie.languages import language_of
from balie.policy import abuse as policy
from balie.store.tables import AbuseWarning, Agent, Conversation, Customer, Message

BLOCKED_TAG = "blocked"


async def _name(act: Act) -> str:
    if act.actor.kind == "agent" and act.actor.id is not None:
        agent = await act.session.get(Agent, act.actor.id)
        if agent is not None:
            return agent.name
    return act.actor.label


async def _customer(act: Act, conversation: Conversation) -> Customer:
    customer = await act.session.get(Customer, conversation.customer_id)
    assert customer is not None  # a conversation always has its customer
    return customer


async def send_boundary(
    act: Act, conversation: Conversation, *, text: str | None = None, client_id: str | None = None
) -> AbuseWarning:
    """The agent's boundary reply to an abusive customer, recorded as a warning. It goes
    out as an ordinary reply (the coach checks it, chat and e-mail deliver it).

    A retried ``client_id`` returns the warning stored the first time; a new warning needs
    a customer message after the previous one (``policy.may_warn_again``)."""
    if client_id is not None:
        earlier = await _retried_warning(act, conversation, client_id)
        if earlier is not None:
            return earlier
    if not conversation.abusive:
        raise Conflict("A boundary message is for a conversation flagged abusive; this one is not.")
    if conversation.status == "resolved":
        raise Conflict("This conversation is resolved; there is no one to warn.")
    if await queries.warning_unanswered(act.session, conversation.id):
        raise Conflict(
            "The customer has not written since the last boundary warning; wait for their "
            "answer before warning again."
        )
    customer = await _customer(act, conversation)
    if text is None or not text.strip():
        text = policy.boundary_text(language_of(conversation, customer))
    message, _ = await conversation_actions.add_message(
        act, conversation, text=text, internal=False, client_id=client_id, retry_checked=True
    )
    warning = AbuseWarning(
        customer_id=customer.id,
        conversation_id=conversation.id,
        message_id=message.id,
        agent_id=act.actor.id if act.actor.kind == "agent" else None,
        created_at=act.now,
    )
    act.session.add(warning)
    await act.session.flush()
    await act.audit(
        "abuse.warning",
        f"conversation:{conversation.id}",
        after={
            "warning_id": warning.id,
            "customer_id": customer.id,
            "message_id": message.id,
            "warnings": await queries.warnings_in(act.session, conversation.id),
        },
    )
    return warning


async def _retried_warning(
    act: Act, conversation: Conversation, client_id: str
) -> AbuseWarning | None:
    """The warning an earlier post with this ``client_id`` stored, if any."""
    if not 1 <= len(client_id) <= 100:
        raise InvalidInput("client_id must be 1 to 100 characters.", field="client_id")
    message_id = await act.session.scalar(
        select(Message.id).where(
            Message.conversation_id == conversation.id, Message.client_id == client_id
        )
    )
    if message_id is None:
        return None
    warning = await act.session.scalar(
        select(AbuseWarning).where(AbuseWarning.message_id == message_id)
    )
    if warning is None:
        raise Conflict("That client_id belongs to another message in this conversation.")
    return warning


async def end_chat(act: Act, conversation: Conversation, *, reason: str, limit: int) -> None:
    """End the conversation after enough warnings: a closing message to the customer, the
    conversation resolved, a supervisor told."""
    problem = policy.reason_error(reason)
    if problem:
        raise InvalidInput(problem, field="reason")
    if conversation.status == "resolved":
        raise Conflict("This conversation has already ended.")
    warnings = await queries.warnings_in(act.session, conversation.id)
    if not policy.may_end_chat(warnings, limit):
        to_go = policy.warnings_to_go(warnings, limit)
        raise Conflict(
            f"The customer has had {warnings} of {limit} boundary warnings; "
            f"send {to_go} more before ending the chat.",
            warnings=warnings,
            limit=limit,
        )
    customer = await _customer(act, conversation)
    language = language_of(conversation, customer)
    await conversation_actions.add_message(
        act, conversation, text=policy.end_text(language), internal=False
    )
    await conversation_actions.change_status(act, conversation, "resolved")
    await act.audit(
        "abuse.end_chat",
        f"conversation:{conversation.id}",
        after={"reason": reason.strip(), "warnings": warnings, "customer_id": customer.id},
    )
    await alerts.raise_alert(
        act,
        kind="abuse_end",
        text=f"{await _name(act)} ended conversation #{conversation.id} after "
        f"{warnings} warnings: {reason.strip()}",
        conversation_id=conversation.id,
        data={"reason": reason.strip(), "warnings": warnings, "customer_id": customer.id},
    )


async def _block_conversation(
    act: Act, customer: Customer, conversation_id: int | None, limit: int
) -> Conversation | None:
    """The conversation the block is recorded on. An agent needs one of this customer's
    conversations, visible to them, where the warnings limit was reached."""
    is_lead = at_least(act.actor.role, "supervisor")
    if conversation_id is not None:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        if conversation.customer_id != customer.id:
            raise InvalidInput(
                "That conversation is not with this customer.", field="conversation_id"
            )
        warnings = await queries.warnings_in(act.session, conversation.id)
    else:
        found, warnings = await queries.most_warned(act.session, customer.id)
        conversation = None
        if found is not None:
            conversation = await act.session.scalar(
                select(Conversation).where(Conversation.id == found, visible_to(act.actor))
            )
        if conversation is None:
            warnings = 0
    if not policy.may_block(warnings, limit, is_lead=is_lead):
        raise Forbidden(
            f"An agent may block a customer after {limit} boundary warnings in a conversation "
            "with them; ask a supervisor otherwise."
        )
    return conversation


async def block_customer(
    act: Act,
    customer_id: int,
    *,
    days: int,
    reason: str,
    limit: int,
    conversation_id: int | None = None,
) -> Customer:
    """Block a customer for ``days``: no new chats; their e-mail is kept but parked."""
    problem = policy.block_days_error(days)
    if problem:
        raise InvalidInput(problem, field="days")
    problem = policy.reason_error(reason)
    if problem:
        raise InvalidInput(problem, field="reason")
    customer = await act.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"Customer {customer_id} does not exist.")
    if customer.merged_into_id is not None:
        raise Conflict(
            f"Customer {customer_id} was merged into {customer.merged_into_id}; block that one."
        )
    conversation = await _block_conversation(act, customer, conversation_id, limit)
    before = _block_state(customer)
    parked = await _parked(act, customer)
    customer.blocked_until = policy.blocked_until(act.now, days)
    customer.blocked_reason = reason.strip()
    customer.updated_at = act.now
    after = {**_block_state(customer), "days": days}
    await act.audit("customer.block", f"customer:{customer.id}", before=before, after=after)
    # A new end for an existing block is the new end for what it parked too: a shortened
    # block does not keep mail away until the old end, a longer one does not let it out
    # early.
    for parked_one in parked:
        await _park(act, parked_one, customer.blocked_until)
    if conversation is not None:
        await act.audit(
            "customer.block",
            f"conversation:{conversation.id}",
            before=before,
            after={**after, "customer_id": customer.id},
        )
    await alerts.raise_alert(
        act,
        kind="customer_blocked",
        text=f"{await _name(act)} blocked {customer.name} for {days} days: {reason.strip()}",
        conversation_id=conversation.id if conversation else None,
        data={"customer_id": customer.id, "days": days, "reason": reason.strip()},
    )
    return customer


async def unblock_customer(act: Act, customer_id: int) -> Customer:
    if not at_least(act.actor.role, "supervisor"):
        raise Forbidden("Only a supervisor can lift a block.")
    customer = await act.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"Customer {customer_id} does not exist.")
    if not policy.is_blocked(customer.blocked_until, act.now):
        raise Conflict("This customer is not blocked.")
    before = _block_state(customer)
    parked = await _parked(act, customer)
    customer.blocked_until = None
    customer.blocked_reason = None
    customer.updated_at = act.now
    await act.audit(
        "customer.unblock", f"customer:{customer.id}", before=before, after=_block_state(customer)
    )
    # What the block parked comes back into the queue now, not when the block would have ended.
    # (Opening it cancels its wake-up timer.)
    for conversation in parked:
        await conversation_actions.change_status(act, conversation, "open")
    return customer


async def _parked(act: Act, customer: Customer) -> list[Conversation]:
    """The customer's conversations parked by the current block: snoozed until its end
    (every change of the block's end moves them along, so the two stay equal)."""
    until = customer.blocked_until
    if until is None or not policy.is_blocked(until, act.now):
        return []
    return list(
        await act.session.scalars(
            select(Conversation)
            .where(
                Conversation.customer_id == customer.id,
                Conversation.status == "snoozed",
                Conversation.snoozed_until == until,
            )
            .order_by(Conversation.id)
        )
    )


async def _park(act: Act, conversation: Conversation, until: dt.datetime) -> None:
    """Snooze the conversation until the block ends. The snooze's own wake-up timer
    (``conversations.wake``) brings it back into the queue then."""
    if conversation.status == "snoozed":
        # Snoozed to another time: wake it first, so the move is one audited change.
        await conversation_actions.change_status(act, conversation, "open")
    await conversation_actions.change_status(act, conversation, "snoozed", snoozed_until=until)


def _block_state(customer: Customer) -> dict[str, str | None]:
    return {
        "blocked_until": customer.blocked_until.isoformat() if customer.blocked_until else None,
        "blocked_reason": customer.blocked_reason,
    }


async def ask_supervisor(act: Act, conversation: Conversation, *, note: str = "") -> None:
    """Any agent who can see the conversation asks a supervisor to join: every supervisor
    sees it live (and by e-mail), and the timeline says so."""
    note = note.strip()
    if len(note) > policy.MAX_NOTE_CHARS:
        raise InvalidInput(
            f"A note is limited to {policy.MAX_NOTE_CHARS:,} characters.", field="note"
        )
    if conversation.status == "resolved":
        raise Conflict("This conversation is resolved; reopen it first.")
    if await queries.open_request(act.session, conversation.id) is not None:
        raise Conflict("A supervisor was already asked to join; waiting for one.")
    name = await _name(act)
    alert = await alerts.raise_alert(
        act,
        kind="ask_supervisor",
        text=f"{name} asks a supervisor to join conversation #{conversation.id}"
        + (f": {note}" if note else ""),
        conversation_id=conversation.id,
        data={"note": note, "asked_by": act.actor.id},
    )
    await conversation_actions.add_message(
        act,
        conversation,
        text=f"{name} asked a supervisor to join." + (f"\n{note}" if note else ""),
        internal=True,
        author_kind="system",
    )
    await act.audit(
        "conversation.ask_supervisor",
        f"conversation:{conversation.id}",
        after={"alert_id": alert.id, "note": note},
    )


async def join(act: Act, conversation: Conversation) -> bool:
    """A supervisor joins the conversation: recorded, noted in the timeline, and any open
    request for a supervisor settled. Returns False when they had already joined."""
    if not at_least(act.actor.role, "supervisor") or act.actor.kind != "agent":
        raise Forbidden("Only a supervisor can join a conversation this way.")
    if act.actor.id in await queries.joined_supervisors(act.session, conversation.id):
        return False
    request = await queries.open_request(act.session, conversation.id)
    if request is not None:
        await alerts.settle_alert(act, request.id)
    name = await _name(act)
    await conversation_actions.add_message(
        act,
        conversation,
        text=f"Supervisor {name} joined the conversation.",
        internal=True,
        author_kind="system",
    )
    await act.audit(
        "conversation.supervisor_joined",
        f"conversation:{conversation.id}",
        after={"agent_id": act.actor.id, "alert_id": request.id if request else None},
    )
    return True


async def on_customer_message(act: Act, conversation: Conversation) -> None:
    """A blocked customer's message that came in by itself (e-mail) is kept but not
    queued: snoozed until the block ends, tagged, not acknowledged. One an agent records
    on the customer's behalf (a phone call) stays where the agent put it."""
    if act.actor.kind == "agent":
        return
    customer = await _customer(act, conversation)
    until = customer.blocked_until
    if until is None or not policy.is_blocked(until, act.now):
        return
    if conversation.status == "resolved":
        return  # an automatic answer that reopened nothing: already out of the queue
    if conversation.status != "snoozed" or conversation.snoozed_until != until:
        await _park(act, conversation, until)
    tags = await conversation_actions.tags_of(act, conversation.id)
    if BLOCKED_TAG not in tags and len(tags) < MAX_TAGS:
        await conversation_actions.set_tags(act, conversation, [*tags, BLOCKED_TAG])
    await act.audit(
        "abuse.blocked_message",
        f"conversation:{conversation.id}",
        after={"customer_id": customer.id, "blocked_until": until.isoformat()},
    )
