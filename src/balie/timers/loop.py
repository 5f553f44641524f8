"""Firing due timers: in ``balie serve`` (the embedded default) or in ``balie worker``
processes (scaled out). Either way each timer fires once.

A batch of due timers is claimed in one write transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so two workers take different rows; SQLite has one writer anyway), each fires
in a savepoint, and the same transaction marks it done. A handler's effects (an alert, a
queued mail, a changed conversation) and the "done" are committed together or not at all:
a worker that dies mid-batch leaves its timers pending for the next round.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from balie.act import SYSTEM, Act, utcnow
from balie.polling import Polling
from balie.store.database import Database
from balie.store.tables import Timer

log = logging.getLogger("balie.timers")

# A handler returns None when it is done, or a time to be fired again (a check that found
# the clock moved, say).
Handler = Callable[[Act, dict[str, Any]], Awaitable[dt.datetime | None]]

BATCH = 50
MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(seconds=10)


def handler_of(kind: str) -> Handler:
    room, _, name = kind.partition(".")
    module = importlib.import_module(f"balie.{room}.timers")
    handlers: dict[str, Handler] = module.HANDLERS
    return handlers[name]


def retry_after(attempts: int) -> dt.timedelta:
    """10 s, 20 s, 40 s, ... for a handler that failed (the database busy, a bug fixed
    by the next deploy); after MAX_ATTEMPTS the timer is failed and logged."""
    wait: dt.timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return wait


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def fire_due(db: Database, *, now: dt.datetime | None = None, name: str = "") -> int:
    """Fire every timer due at ``now`` (default: the clock); returns how many fired."""
    fired = 0
    name = name or worker_name()
    async with db.reading() as session:
        # A read first: an idle loop must not take SQLite's one write lock every second.
        due = await session.scalar(
            select(Timer.id)
            .where(Timer.status == "pending", Timer.due_at <= (now or utcnow()))
            .limit(1)
        )
    if due is None:
        return 0
    while True:
        async with db.writing() as session:
            act = Act(session, SYSTEM, now or utcnow())
            query = (
                select(Timer)
                .where(Timer.status == "pending", Timer.due_at <= act.now)
                .order_by(Timer.due_at, Timer.id)
                .limit(BATCH)
            )
            if not db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            timers = list(await session.scalars(query))
            for timer in timers:
                fired += await _fire(act, timer, name)
        if len(timers) < BATCH:
            return fired


async def _fire(act: Act, timer: Timer, name: str) -> int:
    kind, payload, timer_id = timer.kind, dict(timer.payload or {}), timer.id
    try:
        async with act.session.begin_nested():
            again = await handler_of(kind)(act, payload)
    except Exception as exc:  # one bad timer must not hold up the others
        row = await act.session.get(Timer, timer_id)
        assert row is not None
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.due_at = act.now + retry_after(row.attempts)
        log.exception(
            "timer failed", extra={"fields": {"timer_id": timer_id, "kind": kind, "key": row.key}}
        )
        return 0
    row = await act.session.get(Timer, timer_id)
    assert row is not None
    if row.status != "pending" or row.due_at > act.now:
        # The handler moved or cancelled its own timer (rescheduled under the same key).
        return 1
    if again is not None:
        row.due_at = again
    else:
        row.status, row.fired_at, row.fired_by = "done", act.now, name
    return 1


class TimerLoop(Polling):
    """Fires due timers every ``interval`` seconds until stopped."""

    task_name = "balie-timers"

    def __init__(self, db: Database, interval: float, name: str = "") -> None:
        super().__init__(interval)
        self.db = db
        self.name = name or worker_name()

    async def round(self) -> int:
        return await fire_due(self.db, name=self.name)
