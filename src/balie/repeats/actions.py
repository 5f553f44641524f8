"""Repeat issues (owned by the repeats room; filled in there)."""

from __future__ import annotations

from balie.act import Act
from balie.store.tables import Conversation


async def on_new_conversation(act: Act, conversation: Conversation) -> None:
    return None
