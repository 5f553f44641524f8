"""The SLA clocks of a conversation, kept by the conversation actions' hooks.

Called by ``balie.conversations.workflows`` in the same transaction as the message or
status change that moves a clock, so a due time is never out of step with the
conversation. Every time a clock is set, moved or stopped, its breach timer follows
(``sla:<conversation>:<target>``), and the change is audited on the conversation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from balie.act import Act
from balie.alerts.actions import raise_alert
from balie.policy import sla as policy
from balie.sla import queries
from balie.store.tables import Alert, Conversation, Customer, Message
from balie.timers.actions import cancel, schedule


def timer_key(conversation_id: int, target: policy.Target) -> str:
    return f"sla:{conversation_id}:{target}"


def _clocks(c: Conversation) -> dict[str, Any]:
    return {
        "first_response_due_at": c.first_response_due_at,
        "next_response_due_at": c.next_response_due_at,
        "resolution_due_at": c.resolution_due_at,
        "first_response_at": c.first_response_at,
        "awaiting_since": c.awaiting_since,
        "bumped_at": c.bumped_at,
    }


async def recompute(
    act: Act, conversation: Conversation, *, reason: str, before: dict[str, Any] | None = None
) -> None:
    """Set the due times from the policy in force, move the breach timers that follow
    them, and audit the change (if any) as ``sla.clocks`` (``before``: the clocks before
    the caller changed them, when it did)."""
    before = before if before is not None else _clocks(conversation)
    in_force = await queries.policy_in_force(
        act.session, conversation.inbox_id, conversation.severity
    )
    hours = await queries.hours_of(act.session, conversation.inbox_id)
    facts = await queries.facts_of(act.session, conversation)
    due = policy.due_times(in_force.targets, hours, facts, act.now)
    for target in policy.TARGETS:
        field = policy.DUE_FIELD[target]
        new = due.of(target)
        if getattr(conversation, field) == new:
            continue
        setattr(conversation, field, new)
        key = timer_key(conversation.id, target)
        if new is None:
            await cancel(act, key)
        else:
            await schedule(
                act,
                key=key,
                kind="sla.breach",
                due_at=new,
                payload={
                    "conversation_id": conversation.id,
                    "target": target,
                    "due_at": new.isoformat(),
                },
            )
    await _audit_change(act, conversation, before, reason)


async def _audit_change(
    act: Act, conversation: Conversation, before: dict[str, Any], reason: str
) -> None:
    after = _clocks(conversation)
    if after != before:
        await act.audit(
            "sla.clocks",
            f"conversation:{conversation.id}",
            before=before,
            after={**after, "reason": reason},
        )


async def _alert_if_critical(act: Act, conversation: Conversation) -> None:
    """A critical case tells the supervisors at once (live and by e-mail), once."""
    if conversation.severity != "critical":
        return
    earlier = await act.session.scalar(
        select(Alert.id)
        .where(Alert.kind == "critical", Alert.conversation_id == conversation.id)
        .limit(1)
    )
    if earlier is not None:
        return
    customer = await act.session.get(Customer, conversation.customer_id)
    who = customer.name if customer is not None and customer.name else "A customer"
    await raise_alert(
        act,
        kind="critical",
        text=f"Critical case: {who} needs help now: {conversation.subject}",
        conversation_id=conversation.id,
        agent_id=None,
        data={"severity": "critical"},
    )


async def on_customer_message(
    act: Act, conversation: Conversation, message: Message, *, new: bool
) -> None:
    """The customer wrote: start (or keep) the wait, or mark a bump when still unanswered."""
    before = _clocks(conversation)
    if new or conversation.awaiting_since is None:
        conversation.awaiting_since = act.now
    else:
        # Still waiting and writing again: the clock keeps its start, the inbox shows it.
        conversation.bumped_at = act.now
        await act.audit(
            "conversation.bumped",
            f"conversation:{conversation.id}",
            after={"bumped_at": act.now, "awaiting_since": conversation.awaiting_since},
        )
    # Triage may have raised the severity with this very message: the policy follows it.
    await recompute(act, conversation, reason="customer_message", before=before)
    await _alert_if_critical(act, conversation)


async def on_agent_reply(act: Act, conversation: Conversation, message: Message) -> None:
    """A public answer stops the response clocks; the resolution clock runs on."""
    before = _clocks(conversation)
    if conversation.first_response_at is None:
        conversation.first_response_at = act.now
    conversation.awaiting_since = None
    conversation.bumped_at = None
    await recompute(act, conversation, reason="agent_reply", before=before)


async def on_status(act: Act, conversation: Conversation, old: str) -> None:
    """Pending, snoozed and resolved stop every clock; back to open resumes them. A
    resolved conversation is done: whoever writes after that starts a new wait."""
    before = _clocks(conversation)
    if conversation.status == "resolved":
        conversation.awaiting_since = None
        conversation.bumped_at = None
    await recompute(act, conversation, reason=f"status:{old}->{conversation.status}", before=before)
