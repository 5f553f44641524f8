"""Promises as follow-ups (C4): reminded before due, reported to a supervisor when unkept.

The coach finds promises in a sent reply ("u ontvangt morgen voor 12:00 een e-mail") and
``balie.conversations.guardrails.record_promises`` stores them; ``track`` then arms two
durable timers per promise with a due time: one ahead of the due time (an hour before, or
at the opening of that business day), which reminds the conversation's owner while it can
still be kept, and one a grace period later in the inbox's business hours, which marks a
promise still open as unkept and tells the supervisors (``balie.promises.timing``).

A promise is kept when an agent says so: a later reply is not proof (it may be a
holding answer), so nothing is marked kept automatically. One that no longer applies
(the customer cancelled the order, say) is cancelled with a reason. Kept, cancelled and
unkept are final: an unkept promise stays on record as unkept even when it is made good
later, so reports count it.
"""

from __future__ import annotations

from collections.abc import Iterable

from balie.act import Act
from balie.agents.roles import at_least
from balie.conversations.access import can_see
from balie.errors import Conflict, Forbidden, InvalidInput, NotFound
from balie.policy import sla as sla_policy
from balie.promises import timing
from balie.sla import queries as sla_queries
from balie.store.tables import Conversation, Promise
from balie.timers import actions as timers

MAX_REASON_CHARS = 500


def due_key(promise_id: int) -> str:
    return f"promise:{promise_id}"


def unkept_key(promise_id: int) -> str:
    return f"promise:{promise_id}:unkept"


def responsible(promise: Promise, conversation: Conversation) -> int | None:
    """Who must keep it: the conversation's owner now (a hand-over hands the promises
    over too), else the agent who wrote it."""
    return conversation.owner_id or promise.agent_id


async def track(act: Act, promises: Iterable[Promise]) -> None:
    """Arm the reminder and the unkept check of each promise that has a due time."""
    for promise in promises:
        if promise.due_at is None or promise.status != "open":
            continue
        conversation = await act.session.get(Conversation, promise.conversation_id)
        hours = None
        if conversation is not None:
            # The inbox's hours, as for its SLA clocks (critical cases: around the clock).
            inbox_hours = await sla_queries.hours_of(act.session, conversation.inbox_id)
            hours = sla_policy.hours_for(conversation.severity, inbox_hours)
        payload = {"promise_id": promise.id}
        await timers.schedule(
            act,
            key=due_key(promise.id),
            kind="promises.due",
            due_at=timing.remind_at(promise.due_at, hours, act.now),
            payload=payload,
        )
        await timers.schedule(
            act,
            key=unkept_key(promise.id),
            kind="promises.unkept",
            due_at=timing.unkept_at(promise.due_at, hours),
            payload=payload,
        )


async def get_visible(act: Act, promise_id: int) -> tuple[Promise, Conversation]:
    """The promise and its conversation, if the actor may see the conversation; an unknown
    promise and one in an invisible conversation look the same."""
    promise = await act.session.get(Promise, promise_id)
    conversation = await act.session.get(Conversation, promise.conversation_id) if promise else None
    if (
        promise is None
        or conversation is None
        or not await can_see(act.session, act.actor, conversation)
    ):
        raise NotFound(f"Promise {promise_id} does not exist.")
    return promise, conversation


async def _settle(act: Act, promise_id: int, status: str, reason: str | None) -> Promise:
    promise, conversation = await get_visible(act, promise_id)
    mine = act.actor.id is not None and act.actor.id in (
        responsible(promise, conversation),
        promise.agent_id,
    )
    if not mine and not at_least(act.actor.role, "supervisor"):
        raise Forbidden("Only the conversation's owner, the promise's writer or a supervisor can.")
    if promise.status != "open":
        raise Conflict(f"This promise is already {promise.status}.", promise_status=promise.status)
    promise.status = status
    await timers.cancel(act, due_key(promise.id))
    await timers.cancel(act, unkept_key(promise.id))
    after: dict[str, object] = {"promise_id": promise.id, "status": status}
    if reason is not None:
        after["reason"] = reason
    await act.audit(
        f"promise.{status}",
        f"conversation:{conversation.id}",
        before={"promise_id": promise.id, "status": "open"},
        after=after,
    )
    return promise


async def mark_kept(act: Act, promise_id: int) -> Promise:
    """The agent did what was promised: no reminder, no alert."""
    return await _settle(act, promise_id, "kept", None)


async def cancel(act: Act, promise_id: int, *, reason: str) -> Promise:
    """The promise no longer applies; the reason is kept in the audit log."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(
            f"Cancelling a promise needs a reason of 1 to {MAX_REASON_CHARS} characters.",
            field="reason",
        )
    return await _settle(act, promise_id, "cancelled", reason)
