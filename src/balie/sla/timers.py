"""The breach check: fired when a clock's due time comes, by ``balie.timers``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_timedelta
from sqlalchemy import select

from balie.act import Act
from balie.agents.roles import at_least
from balie.alerts.actions import raise_alert
from balie.policy import sla as policy
from balie.store.tables import Agent, Conversation, Customer, SlaBreach
from balie.timers.loop import Handler

_WHAT = {
    "first_response": "a first answer",
    "next_response": "an answer",
    "resolution": "a resolution",
}


async def breach(act: Act, payload: dict[str, Any]) -> dt.datetime | None:
    """Record a breach and escalate it, if the clock still stands at the time this timer
    was set for. A clock that was moved has its own timer; one that stopped (answered,
    paused, resolved) has nothing to escalate."""
    conversation = await act.session.get(Conversation, int(payload["conversation_id"]))
    target = str(payload["target"])
    field = policy.DUE_FIELD.get(target)
    if conversation is None or field is None:
        return None
    due = dt.datetime.fromisoformat(str(payload["due_at"])).astimezone(dt.UTC)
    if getattr(conversation, field) != due:
        return None
    # One breach per run of a clock: a pause and resume, a reopening or a raised severity
    # moves the due time (and arms a new timer), but the customer's wait that was already
    # escalated is not escalated again. A run starts with the wait (next answer) or with
    # the conversation (first answer, resolution).
    started = (
        conversation.awaiting_since
        if target == "next_response" and conversation.awaiting_since is not None
        else conversation.created_at
    )
    already = await act.session.scalar(
        select(SlaBreach.id)
        .where(
            SlaBreach.conversation_id == conversation.id,
            SlaBreach.target == target,
            SlaBreach.breached_at >= started,
        )
        .limit(1)
    )
    if already is not None:
        return None
    row = SlaBreach(
        conversation_id=conversation.id,
        target=target,
        severity=conversation.severity,
        inbox_id=conversation.inbox_id,
        owner_id=conversation.owner_id,
        due_at=due,
        breached_at=act.now,
    )
    act.session.add(row)
    await act.session.flush()
    await act.audit(
        "sla.breached",
        f"conversation:{conversation.id}",
        after={"breach_id": row.id, "target": target, "due_at": due, "severity": row.severity},
    )
    text = await _text(act, conversation, target)
    data = {
        "target": target,
        "due_at": due.isoformat(),
        "breach_id": row.id,
        "owner_id": conversation.owner_id,
    }
    await raise_alert(act, kind="sla_breach", text=text, conversation_id=conversation.id, data=data)
    owner = (
        await act.session.get(Agent, conversation.owner_id)
        if conversation.owner_id is not None
        else None
    )
    # Supervisors and admins already see the supervisors' alert: one breach, one alert each.
    if owner is not None and not at_least(owner.role, "supervisor"):
        await raise_alert(
            act,
            kind="sla_breach",
            text=text,
            conversation_id=conversation.id,
            agent_id=owner.id,
            data=data,
        )
    return None


async def _text(act: Act, conversation: Conversation, target: str) -> str:
    customer = await act.session.get(Customer, conversation.customer_id)
    who = customer.name if customer is not None and customer.name else "A customer"
    since = (
        conversation.created_at
        if target == "resolution"
        else conversation.awaiting_since or conversation.created_at
    )
    waited = format_timedelta(act.now - since, threshold=1.1, locale="en")
    return (
        f"SLA breached: {who} has waited {waited} for {_WHAT[target]} "
        f"(#{conversation.id} {conversation.subject})"
    )


HANDLERS: dict[str, Handler] = {"breach": breach}
