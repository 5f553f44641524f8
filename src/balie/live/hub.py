"""One subscription to the event bus per process, fanned out to the sockets it serves.

A socket registers a ``Listener`` for its topics. A hint on a topic wakes the listener,
which then reads what is new from the database; ephemeral frames (typing, read receipts,
presence) ride along in the hint. While the bus is down, every listener is woken once a
second instead, so sockets keep delivering from the database; when the bus is back they
are all woken at once to catch up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from balie.events.bus import ALL, BusLost, Event, EventBus

log = logging.getLogger("balie.live")

POLL_SECONDS = 1.0
MAX_BACKOFF = 5.0
# Ephemeral frames kept for a slow socket; older ones are dropped (typing is not history).
MAX_FRAMES = 200

INBOX = "inbox"


def conversation_topic(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def queue_topic(team_id: int) -> str:
    return f"queue:{team_id}"


class Listener:
    def __init__(self, hub: Hub, topics: Iterable[str]) -> None:
        self.hub = hub
        self.topics: set[str] = set()
        self.woken = asyncio.Event()
        self.frames: deque[dict[str, Any]] = deque(maxlen=MAX_FRAMES)
        # Topics heard since the last ``heard_any``; None means "assume all" (after a
        # poll or a reconnect nobody knows what was missed).
        self.heard: set[str] | None = set()
        for topic in topics:
            self.listen(topic)

    def listen(self, topic: str) -> None:
        if topic not in self.topics:
            self.topics.add(topic)
            self.hub.listeners[topic].add(self)

    def wake(self, frame: dict[str, Any] | None = None, topic: str | None = None) -> None:
        if frame is not None:
            self.frames.append(frame)
        if topic is None:
            self.heard = None
        elif self.heard is not None:
            self.heard.add(topic)
        self.woken.set()

    def heard_any(self, *, prefix: str) -> bool:
        """Whether a topic starting with ``prefix`` had news since the last call."""
        heard, self.heard = self.heard, set()
        return heard is None or any(t.startswith(prefix) for t in heard)

    async def wait(self) -> None:
        """Until there is news, or a poll is due because the bus is down."""
        if self.hub.healthy:
            await self.woken.wait()
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.woken.wait(), POLL_SECONDS)
            self.heard = None  # a poll: anything may have changed
        self.woken.clear()

    def close(self) -> None:
        for topic in self.topics:
            listeners = self.hub.listeners.get(topic)
            if listeners is not None:
                listeners.discard(self)
                if not listeners:
                    del self.hub.listeners[topic]
        self.topics.clear()


# Reads the audit log after a sequence number: the targets changed and the newest seq.
ChangesAfter = Callable[[int], Awaitable[tuple[list[str], int]]]


class Hub:
    def __init__(
        self,
        bus: EventBus,
        changes_after: ChangesAfter | None = None,
        *,
        sweep_seconds: float = 1.0,
    ) -> None:
        self.sweep_seconds = sweep_seconds
        self.bus = bus
        self.listeners: defaultdict[str, set[Listener]] = defaultdict(set)
        self.healthy = False
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._changes_after = changes_after
        self._sweeper: asyncio.Task[None] | None = None
        self.swept = 0

    def listener(self, topics: Iterable[str]) -> Listener:
        return Listener(self, topics)

    async def start(self) -> None:
        if self._changes_after is not None:
            _, self.swept = await self._changes_after(-1)
            self._sweeper = asyncio.create_task(self._sweep(), name="balie-live-sweep")
        self._task = asyncio.create_task(self._run(), name="balie-live-hub")
        # Start serving once subscribed, or after a short wait with the bus down (polling).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), 5)

    async def stop(self) -> None:
        for task in (self._task, self._sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.bus.close()

    async def _sweep(self) -> None:
        """Once a second, wake the sockets of whatever changed without a hint reaching
        this process: writes by ``balie`` commands, by a process without Redis, or hints
        lost on the way. The audit log has every change, in commit order."""
        assert self._changes_after is not None
        while True:
            await asyncio.sleep(self.sweep_seconds)
            try:
                targets, self.swept = await self._changes_after(self.swept)
            except Exception as exc:  # the database may be away for a moment; try again
                log.warning("live sweep failed", extra={"fields": {"error": repr(exc)}})
                continue
            touched = {t for t in targets if t.startswith("conversation:")}
            for topic in touched:
                self._dispatch(topic, {})
            if touched:
                self._dispatch(INBOX, {})

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            try:
                subscription = await self.bus.subscribe([ALL])
                try:
                    self.healthy = True
                    self.connected.set()
                    backoff = 0.2
                    # Whatever happened while we were away is in the database: catch up.
                    self._wake_all()
                    async for topic, event in subscription:
                        self._dispatch(topic, event)
                finally:
                    await subscription.close()
            except BusLost as exc:
                if self.healthy:
                    log.warning(
                        "event bus lost; sockets poll the database",
                        extra={"fields": {"error": str(exc)}},
                    )
            self.healthy = False
            self.connected.set()
            self._wake_all()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    def _wake_all(self) -> None:
        for listeners in list(self.listeners.values()):
            for listener in list(listeners):
                listener.wake()

    def _dispatch(self, topic: str, event: Event) -> None:
        frame = event.get("frame")
        for listener in list(self.listeners.get(topic, ())):
            listener.wake(frame, topic)

    async def publish(self, topic: str, frame: dict[str, Any] | None = None) -> None:
        """Tell every process about news on ``topic``. Never raises: the data is in the
        database already, and a lost hint is made up for by polling."""
        if not self.healthy:
            return
        try:
            await self.bus.publish(topic, {"frame": frame} if frame is not None else {})
        except BusLost as exc:
            log.warning("could not publish a hint", extra={"fields": {"error": str(exc)}})

    async def on_commit(self, changed: set[str]) -> None:
        """The database's commit listener: hint the conversations a transaction changed."""
        touched = [t for t in changed if t.startswith(("conversation:", "queue:"))]
        for topic in touched:
            await self.publish(topic)
        if any(t.startswith(("conversation:", "alert:")) for t in changed):
            await self.publish(INBOX)


HubFactory = Callable[[], Hub]
