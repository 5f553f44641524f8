"""Timed conversation steps: a snoozed conversation comes back when its snooze ends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from balie.act import Act
from balie.conversations import actions as conversation_actions
from balie.store.tables import Conversation
from balie.timers.loop import Handler


def wake_key(conversation_id: int) -> str:
    """One wake-up per conversation: snoozing again moves it, any other status cancels it."""
    return f"snooze:{conversation_id}"


async def wake(act: Act, payload: dict[str, Any]) -> dt.datetime | None:
    """Put a snoozed conversation back in the queue (open, so its SLA clocks run again),
    unless someone has moved it since: it is no longer snoozed, or snoozed until another
    time (which has its own wake-up)."""
    conversation = await act.session.get(Conversation, int(payload["conversation_id"]))
    until = conversation.snoozed_until if conversation is not None else None
    if conversation is None or conversation.status != "snoozed" or until is None:
        return None
    if until != dt.datetime.fromisoformat(str(payload.get("until"))):
        return None
    await conversation_actions.change_status(act, conversation, "open")
    return None


HANDLERS: dict[str, Handler] = {"wake": wake}
