"""Timed abuse steps: a blocked customer's parked mail comes back when the block ends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from balie.act import Act
from balie.conversations import actions as conversation_actions
from balie.store.tables import Conversation
from balie.timers.loop import Handler


async def wake(act: Act, payload: dict[str, Any]) -> dt.datetime | None:
    """Put a conversation parked by a block back in the queue, unless someone has moved
    it since (it is then no longer snoozed until the block's end)."""
    conversation = await act.session.get(Conversation, int(payload["conversation_id"]))
    until = conversation.snoozed_until if conversation is not None else None
    if conversation is None or conversation.status != "snoozed" or until is None:
        return None
    if until.isoformat() != payload.get("until"):
        return None
    await conversation_actions.change_status(act, conversation, "open")
    return None


HANDLERS: dict[str, Handler] = {"wake": wake}
