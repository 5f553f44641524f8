"""Surveys after resolution (owned by the surveys room; filled in there)."""

from __future__ import annotations

from balie.act import Act
from balie.store.tables import Conversation


async def on_resolved(act: Act, conversation: Conversation) -> None:
    return None
