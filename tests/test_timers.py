"""Durable timers: due rows fired once, moved by key, cancelled, retried after a failure,
and, with two `balie worker` processes on PostgreSQL, still fired exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from balie.act import SYSTEM, Act, utcnow
from balie.store.database import Database
from balie.store.tables import Alert, Timer
from balie.timers.actions import cancel, schedule
from balie.timers.loop import fire_due
from tests.conftest import BACKEND

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def reminder(text: str) -> dict[str, Any]:
    return {"kind": "test_reminder", "text": text, "conversation_id": None, "agent_id": None}


async def plan(db: Database, key: str, due: dt.datetime, payload: dict[str, Any]) -> None:
    async with db.writing() as session:
        await schedule(
            Act(session, SYSTEM, START), key=key, kind="alerts.remind", due_at=due, payload=payload
        )


async def alert_texts(db: Database) -> list[str]:
    async with db.reading() as session:
        return list(await session.scalars(select(Alert.text).order_by(Alert.id)))


async def timers(db: Database) -> list[Timer]:
    async with db.reading() as session:
        return list(await session.scalars(select(Timer).order_by(Timer.id)))


async def test_a_timer_fires_when_due_and_only_once(db: Database) -> None:
    await plan(db, "call:1", START + dt.timedelta(minutes=30), reminder("Bel mevrouw Jansen"))
    assert await fire_due(db, now=START + dt.timedelta(minutes=29)) == 0
    assert await alert_texts(db) == []

    assert await fire_due(db, now=START + dt.timedelta(minutes=30)) == 1
    assert await fire_due(db, now=START + dt.timedelta(hours=5)) == 0
    assert await alert_texts(db) == ["Bel mevrouw Jansen"]
    (timer,) = await timers(db)
    assert timer.status == "done"
    assert timer.fired_at == START + dt.timedelta(minutes=30)
    assert timer.fired_by


async def test_scheduling_the_same_key_again_moves_the_timer(db: Database) -> None:
    await plan(db, "sla:7:first", START + dt.timedelta(hours=1), reminder("eerste"))
    await plan(db, "sla:7:first", START + dt.timedelta(hours=3), reminder("verschoven"))
    (timer,) = await timers(db)
    assert timer.due_at == START + dt.timedelta(hours=3)

    assert await fire_due(db, now=START + dt.timedelta(hours=2)) == 0
    assert await fire_due(db, now=START + dt.timedelta(hours=3)) == 1
    assert await alert_texts(db) == ["verschoven"]


async def test_a_done_timer_scheduled_again_fires_again(db: Database) -> None:
    await plan(db, "remind:1", START, reminder("eerste keer"))
    await fire_due(db, now=START)
    await plan(db, "remind:1", START + dt.timedelta(days=1), reminder("tweede keer"))
    await fire_due(db, now=START + dt.timedelta(days=1))
    assert await alert_texts(db) == ["eerste keer", "tweede keer"]


async def test_a_cancelled_timer_never_fires(db: Database) -> None:
    await plan(db, "callback:3:remind", START + dt.timedelta(minutes=5), reminder("terugbellen"))
    async with db.writing() as session:
        await cancel(Act(session, SYSTEM, START), "callback:3:remind")
        await cancel(Act(session, SYSTEM, START), "no-such-timer")
    assert await fire_due(db, now=START + dt.timedelta(days=1)) == 0
    assert await alert_texts(db) == []
    assert [t.status for t in await timers(db)] == ["cancelled"]


async def test_a_failing_timer_is_retried_later_and_does_not_hold_up_the_others(
    db: Database,
) -> None:
    await plan(db, "broken", START, {"kind": "test_reminder"})  # no text: the handler fails
    await plan(db, "fine", START, reminder("werkt"))

    assert await fire_due(db, now=START) == 1
    assert await alert_texts(db) == ["werkt"]
    broken = next(t for t in await timers(db) if t.key == "broken")
    assert broken.status == "pending"
    assert broken.attempts == 1
    assert "KeyError" in (broken.last_error or "")
    assert broken.due_at > START  # backed off, not hammered

    # Fixed in the meantime (scheduled again with a good payload): it fires.
    await plan(db, "broken", START, reminder("gerepareerd"))
    await fire_due(db, now=START + dt.timedelta(minutes=1))
    assert await alert_texts(db) == ["werkt", "gerepareerd"]


async def test_a_timer_that_keeps_failing_is_given_up_and_kept_for_inspection(
    db: Database,
) -> None:
    await plan(db, "hopeless", START, {"kind": "test_reminder"})
    now = START
    for _ in range(20):
        await fire_due(db, now=now)
        now += dt.timedelta(days=1)
    (timer,) = await timers(db)
    assert timer.status == "failed"
    assert timer.attempts == 8
    assert await alert_texts(db) == []


def test_timer_kinds_must_name_a_room_and_a_handler() -> None:
    with pytest.raises(ValueError, match=r"room\.handler"):
        asyncio.run(_schedule_bad_kind())


async def _schedule_bad_kind() -> None:
    class NoSession:
        pass

    await schedule(
        Act(NoSession(), SYSTEM, START),  # type: ignore[arg-type]
        key="x",
        kind="../../etc",
        due_at=START,
    )


@pytest.mark.skipif(
    BACKEND != "postgres", reason="two worker processes on one database is the PostgreSQL set-up"
)
async def test_two_worker_processes_fire_every_timer_exactly_once(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    count = 400
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BALIE_")},
        "BALIE_DATABASE_URL": database_url,
        "BALIE_DATA_DIR": str(tmp_path),
        "BALIE_TIMER_POLL_SECONDS": "0.05",
        "BALIE_LOG_LEVEL": "WARNING",
    }
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "balie",
            "worker",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    try:
        # Both are polling before anything falls due, so both have the chance to take timers.
        for worker in workers:
            assert worker.stderr is not None
            line = await asyncio.wait_for(worker.stderr.readline(), timeout=30)
            assert b"running" in line, line
        now = utcnow()
        async with db.writing() as session:
            act = Act(session, SYSTEM, now)
            for n in range(count):
                await schedule(
                    act,
                    key=f"load:{n}",
                    kind="alerts.remind",
                    due_at=now,
                    payload=reminder(f"herinnering {n}"),
                )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            async with db.reading() as session:
                pending = await session.scalar(
                    select(func.count()).select_from(Timer).where(Timer.status != "done")
                )
            if pending == 0:
                break
            await asyncio.sleep(0.2)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            _, err = await asyncio.wait_for(worker.communicate(), timeout=30)
            assert worker.returncode == 0, err.decode()

    texts = await alert_texts(db)
    assert len(texts) == count
    assert sorted(texts) == sorted(f"herinnering {n}" for n in range(count))
    fired_by = {t.fired_by for t in await timers(db)}
    # Both processes took timers; none was fired by both (the alert count says so).
    assert len(fired_by) == 2, fired_by
