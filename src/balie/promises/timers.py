"""When a promise falls due, and when its grace period has passed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from balie.act import Act
from balie.alerts.actions import raise_alert
from balie.promises.actions import responsible
from balie.promises.timing import GRACE
from balie.store.tables import Agent, Conversation, Customer, Promise
from balie.timers.loop import Handler
from balie.zone import LOCAL_ZONE


def _when(moment: dt.datetime) -> str:
    """As the agents read it, where they work: "Wed 2 Dec 12:00"."""
    local = moment.astimezone(LOCAL_ZONE)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


async def _open(act: Act, payload: dict[str, Any]) -> tuple[Promise, Conversation] | None:
    promise = await act.session.get(Promise, int(payload["promise_id"]))
    if promise is None or promise.status != "open" or promise.due_at is None:
        return None  # kept or cancelled since: nothing to say
    conversation = await act.session.get(Conversation, promise.conversation_id)
    return None if conversation is None else (promise, conversation)


async def _customer_name(act: Act, conversation: Conversation) -> str:
    customer = await act.session.get(Customer, conversation.customer_id)
    return customer.name if customer is not None and customer.name else "the customer"


async def due(act: Act, payload: dict[str, Any]) -> dt.datetime | None:
    """Remind whoever must keep the promise (live and by e-mail). Nobody to remind (a
    promise of the bot in an unowned conversation): the supervisors are told instead."""
    found = await _open(act, payload)
    if found is None:
        return None
    promise, conversation = found
    assert promise.due_at is not None
    customer = await _customer_name(act, conversation)
    await raise_alert(
        act,
        kind="promise_due",
        text=f"You promised “{promise.text}” to {customer} by {_when(promise.due_at)}",
        conversation_id=conversation.id,
        agent_id=responsible(promise, conversation),
        data={"promise_id": promise.id, "due_at": promise.due_at.isoformat()},
    )
    return None


async def unkept(act: Act, payload: dict[str, Any]) -> dt.datetime | None:
    """Still open a grace period after its time: the promise is unkept and the
    supervisors hear of it."""
    found = await _open(act, payload)
    if found is None:
        return None
    promise, conversation = found
    assert promise.due_at is not None
    promise.status = "unkept"
    await act.audit(
        "promise.unkept",
        f"conversation:{conversation.id}",
        before={"promise_id": promise.id, "status": "open"},
        after={"promise_id": promise.id, "status": "unkept", "grace_minutes": GRACE // _MINUTE},
    )
    owner_id = responsible(promise, conversation)
    owner = await act.session.get(Agent, owner_id) if owner_id is not None else None
    who = owner.name if owner is not None else "Nobody"
    customer = await _customer_name(act, conversation)
    await raise_alert(
        act,
        kind="promise_unkept",
        text=(
            f"Promise not kept: {who} promised “{promise.text}” to {customer} "
            f"by {_when(promise.due_at)}"
        ),
        conversation_id=conversation.id,
        agent_id=None,
        data={"promise_id": promise.id, "owner_id": owner_id},
    )
    return None


_MINUTE = dt.timedelta(minutes=1)
HANDLERS: dict[str, Handler] = {"due": due, "unkept": unkept}
