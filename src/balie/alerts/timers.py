"""Timed alerts: "remind the owner of this callback at 14:45"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from balie.act import Act
from balie.alerts.actions import raise_alert
from balie.timers.loop import Handler


async def remind(act: Act, payload: dict[str, Any]) -> dt.datetime | None:
    """Raise the alert the payload describes (``kind``, ``text``, ``conversation_id``,
    ``agent_id``, ``data``) when the timer falls due."""
    await raise_alert(
        act,
        kind=str(payload["kind"]),
        text=str(payload["text"]),
        conversation_id=payload.get("conversation_id"),
        agent_id=payload.get("agent_id"),
        data=payload.get("data") or {},
    )
    return None


HANDLERS: dict[str, Handler] = {"remind": remind}
