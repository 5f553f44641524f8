"""The SLA clocks of a conversation (owned by the SLA room; filled in there)."""

from __future__ import annotations

from balie.act import Act
from balie.store.tables import Conversation, Message


async def on_customer_message(
    act: Act, conversation: Conversation, message: Message, *, new: bool
) -> None:
    return None


async def on_agent_reply(act: Act, conversation: Conversation, message: Message) -> None:
    return None


async def on_status(act: Act, conversation: Conversation, old: str) -> None:
    return None
