"""Benchmark of Balie's durable timers: how fast due timers fire, and that each fires once.

A fresh database gets N timers of the kind ``alerts.remind``, all due, each raising one
alert (one Alert row, one audit entry) when it fires: the work of a callback reminder or a
promise follow-up. Then K ``balie worker`` processes start together and the clock runs until
no timer is pending. Afterwards the database is checked: exactly N alerts, one per timer,
and which worker fired how many.

Prints one JSON object on stdout (progress on stderr).

    .venv/bin/python bench/timers.py [--backend sqlite|postgres] [--timers 5000] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chat_load
import server
from balie.act import SYSTEM, Act, utcnow
from balie.store.database import Database
from balie.store.tables import Alert, Timer
from balie.timers.actions import schedule


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def plant(url: str, count: int) -> None:
    db = Database(url)
    try:
        now = utcnow()
        for start in range(0, count, 500):
            async with db.writing() as session:
                act = Act(session, SYSTEM, now)
                for n in range(start, min(start + 500, count)):
                    await schedule(
                        act,
                        key=f"bench:{n}",
                        kind="alerts.remind",
                        due_at=now - dt.timedelta(seconds=1),
                        payload={"kind": "bench", "text": f"reminder {n}"},
                    )
    finally:
        await db.dispose()


async def pending(url: str) -> int:
    from sqlalchemy import func, select

    db = Database(url)
    try:
        async with db.reading() as session:
            return int(
                await session.scalar(
                    select(func.count()).select_from(Timer).where(Timer.status == "pending")
                )
                or 0
            )
    finally:
        await db.dispose()


async def read_back(url: str) -> dict[str, Any]:
    from sqlalchemy import func, select

    db = Database(url)
    try:
        async with db.reading() as session:
            alerts = int(await session.scalar(select(func.count()).select_from(Alert)) or 0)
            distinct = int(await session.scalar(select(func.count(func.distinct(Alert.text)))) or 0)
            by_worker = Counter(str(w) for w in await session.scalars(select(Timer.fired_by)))
    finally:
        await db.dispose()
    return {"alerts": alerts, "distinct_alerts": distinct, "fired_by": sorted(by_worker.values())}


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = args.work_dir / f"{args.backend}-{time.strftime('%H%M%S')}"
    work.mkdir(parents=True, exist_ok=True)
    with chat_load.database(args.backend, work) as url:
        server.setup(url, work)
        log(f"planting {args.timers} due timers")
        asyncio.run(plant(url, args.timers))
        env = server.balie_env(url, work, 8000, {"BALIE_TIMER_POLL_SECONDS": "0.05"})
        log(f"starting {args.workers} workers")
        started = time.monotonic()
        workers = [
            subprocess.Popen(
                [str(server.BALIE), "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(work / f"worker{n}.log", "w"),  # noqa: SIM115 (closed with the process)
            )
            for n in range(args.workers)
        ]
        try:
            while asyncio.run(pending(url)):
                if time.monotonic() - started > args.timeout:
                    raise RuntimeError("timers still pending at the time-out")
                time.sleep(0.1)
            seconds = time.monotonic() - started
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
        checked = asyncio.run(read_back(url))
    return {
        "benchmark": "timers",
        "backend": args.backend,
        "workers": args.workers,
        "timers": args.timers,
        # Includes the workers' start-up (about a second): the figure a restart would see.
        "seconds": round(seconds, 2),
        "timers_per_s": round(args.timers / seconds, 1),
        "fired_exactly_once": checked["alerts"] == args.timers == checked["distinct_alerts"],
        **checked,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--timers", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/balie-timer-bench"))
    args = parser.parse_args()
    print(json.dumps(run(args)), flush=True)


if __name__ == "__main__":
    main()
