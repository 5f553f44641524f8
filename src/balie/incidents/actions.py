"""Incidents (owned by the incidents room; filled in there)."""

from __future__ import annotations

from balie.act import Act
from balie.store.tables import Conversation, Message


async def on_new_conversation(act: Act, conversation: Conversation, message: Message) -> None:
    return None
