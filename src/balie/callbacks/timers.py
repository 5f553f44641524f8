"""Timed work for callbacks: remind before the slot, and ask after it whether the call
happened. Who hears of it is decided when the timer fires, not when the call was planned:
the conversation may have changed hands since."""

from __future__ import annotations

import datetime as dt
from typing import Any

from balie.act import Act
from balie.alerts.actions import raise_alert
from balie.store.tables import Callback, Conversation
from balie.timers.loop import Handler
from balie.zone import LOCAL_ZONE


def responsible(callback: Callback, conversation: Conversation | None) -> int | None:
    """Who makes the call: the conversation's current owner (it follows hand-overs and
    assignment), else the agent who planned it; None means the supervisors."""
    return (conversation.owner_id if conversation else None) or callback.owner_id


async def remind(act: Act, payload: dict[str, Any]) -> dt.datetime | None:
    """Shortly before the slot: "Callback to ... at ..." for whoever is responsible now."""
    callback = await act.session.get(Callback, int(payload["callback_id"]))
    if callback is None or callback.status != "scheduled":
        return None
    conversation = await act.session.get(Conversation, callback.conversation_id)
    agent_id = responsible(callback, conversation)
    when = callback.slot_start.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")
    await raise_alert(
        act,
        kind="callback_due",
        text=f"Callback to {callback.phone} at {when}"
        + ("" if agent_id else " (nobody has taken it yet)"),
        conversation_id=callback.conversation_id,
        agent_id=agent_id,
        data={"callback_id": callback.id},
    )
    return None


async def check(act: Act, payload: dict[str, Any]) -> dt.datetime | None:
    """A callback still "scheduled" half an hour after its slot was probably missed or
    not recorded: whoever is responsible now (see ``responsible``) is asked to record what
    happened."""
    callback = await act.session.get(Callback, int(payload["callback_id"]))
    if callback is None or callback.status != "scheduled":
        return None
    conversation = await act.session.get(Conversation, callback.conversation_id)
    await raise_alert(
        act,
        kind="callback_unrecorded",
        text=f"Did the callback to {callback.phone} happen? Record it as done or no-show.",
        conversation_id=callback.conversation_id,
        agent_id=responsible(callback, conversation),
        data={"callback_id": callback.id},
    )
    return None


HANDLERS: dict[str, Handler] = {"remind": remind, "check": check}
