"""Background work done in rounds: the outbox sender and the timer loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger("balie.polling")


class Polling:
    """Runs ``round`` in a background task every ``interval`` seconds until stopped.

    A round that did something is followed at once by the next (more may be waiting); a
    round that failed (the database away, say) is logged and tried again after the
    interval: the loop must outlive whatever went wrong."""

    task_name = "balie-polling"

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def round(self) -> int:
        """Do what is due; return how much was done (0: nothing, wait for the interval)."""
        raise NotImplementedError

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.task_name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                if await self.round():
                    continue
            except Exception:
                log.exception("background round failed", extra={"fields": {"task": self.task_name}})
            await asyncio.sleep(self.interval)
