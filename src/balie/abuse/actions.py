"""Abusive customers (owned by the abuse room; filled in there)."""

from __future__ import annotations

from balie.act import Act
from balie.store.tables import Conversation


async def on_customer_message(act: Act, conversation: Conversation) -> None:
    return None
