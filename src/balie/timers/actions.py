"""Scheduling and cancelling timers: part of the caller's transaction, like any action."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select, update

from balie.act import Act
from balie.store.tables import Timer

# "<room>.<handler>": the room's ``timers`` module holds the handler.
KIND = re.compile(r"^[a-z_]+\.[a-z_]+$")


async def schedule(
    act: Act, *, key: str, kind: str, due_at: dt.datetime, payload: dict[str, Any] | None = None
) -> Timer:
    """Fire ``kind`` at ``due_at``. A timer with the same key is moved (and armed again),
    not doubled: "the SLA check of conversation 5" exists once."""
    if not KIND.match(kind):
        raise ValueError(f"timer kind {kind!r} must be room.handler")
    row = await act.session.scalar(select(Timer).where(Timer.key == key))
    if row is not None:
        row.kind, row.due_at, row.payload = kind, due_at, payload or {}
        row.status, row.attempts, row.last_error = "pending", 0, None
        row.fired_by, row.fired_at = None, None
        return row
    row = Timer(
        key=key,
        kind=kind,
        due_at=due_at,
        payload=payload or {},
        status="pending",
        attempts=0,
        created_at=act.now,
    )
    act.session.add(row)
    await act.session.flush()
    return row


async def cancel(act: Act, key: str) -> None:
    """Disarm a pending timer; nothing happens if there is none."""
    await act.session.execute(
        update(Timer)
        .where(Timer.key == key, Timer.status == "pending")
        .values(status="cancelled")
        .execution_options(synchronize_session="fetch")
    )
