"""Timed work for callbacks: after the slot, ask whether the call happened."""

from __future__ import annotations

import datetime as dt
from typing import Any

from balie.act import Act
from balie.alerts.actions import raise_alert
from balie.store.tables import Callback, Conversation
from balie.timers.loop import Handler


async def check(act: Act, payload: dict[str, Any]) -> dt.datetime | None:
    """A callback still "scheduled" half an hour after its slot was probably missed or
    not recorded: its owner (or, with nobody owning it, the conversation's owner, else the
    supervisors) is asked to record what happened."""
    callback = await act.session.get(Callback, int(payload["callback_id"]))
    if callback is None or callback.status != "scheduled":
        return None
    conversation = await act.session.get(Conversation, callback.conversation_id)
    owner = callback.owner_id or (conversation.owner_id if conversation else None)
    await raise_alert(
        act,
        kind="callback_unrecorded",
        text=f"Did the callback to {callback.phone} happen? Record it as done or no-show.",
        conversation_id=callback.conversation_id,
        agent_id=owner,
        data={"callback_id": callback.id},
    )
    return None


HANDLERS: dict[str, Handler] = {"check": check}
