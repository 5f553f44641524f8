"""Failed log-ins counted per key (an e-mail address, a client address) in a sliding window.

The in-memory throttle serves one process; a shared backend (Redis) can implement the
same two methods for many processes. A successful log-in does not wipe the count, so
guessing between one's own log-ins buys an attacker nothing.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Sequence


class LoginThrottle(ABC):
    @abstractmethod
    async def wait_seconds(self, keys: Sequence[str]) -> int:
        """Seconds until a log-in may be tried again for any of ``keys``; 0 means now."""

    @abstractmethod
    async def failed(self, keys: Sequence[str]) -> None:
        """Count one failed log-in against every key."""

    @abstractmethod
    async def attempt(self, keys: Sequence[str]) -> int:
        """Check and count in one step: 0 when a log-in may be tried now (and it is counted
        as failed until ``forgive``), else the seconds to wait (nothing counted). Counting
        before the slow password check means parallel guesses cannot all slip through."""

    @abstractmethod
    async def forgive(self, keys: Sequence[str]) -> None:
        """Take back the count of the attempt that turned out to be a good log-in."""


class MemoryLoginThrottle(LoginThrottle):
    # Beyond this many keys, a failure also sweeps out keys whose window has passed, so
    # a spray of made-up addresses cannot grow the table without bound.
    SWEEP_ABOVE = 10_000

    def __init__(
        self,
        attempts: int,
        window_seconds: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def __len__(self) -> int:
        """How many keys are being tracked."""
        return len(self._failures)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    async def wait_seconds(self, keys: Sequence[str]) -> int:
        return self._wait(keys, self.clock())

    def _wait(self, keys: Sequence[str], now: float) -> int:
        wait = 0.0
        for key in keys:
            times = self._recent(key, now)
            if len(times) >= self.attempts:
                # Allowed again once the oldest failure that still counts leaves the window.
                oldest_counted = times[len(times) - self.attempts]
                wait = max(wait, oldest_counted + self.window - now)
        return math.ceil(wait)

    async def attempt(self, keys: Sequence[str]) -> int:
        # No await between the check and the count: atomic within this process.
        wait = self._wait(keys, self.clock())
        if wait == 0:
            self._count(keys, self.clock())
        return wait

    async def forgive(self, keys: Sequence[str]) -> None:
        for key in keys:
            times = self._failures.get(key)
            if times:
                times.pop()
                if not times:
                    del self._failures[key]

    async def failed(self, keys: Sequence[str]) -> None:
        self._count(keys, self.clock())

    def _count(self, keys: Sequence[str], now: float) -> None:
        if len(self._failures) > self.SWEEP_ABOVE:
            for key in list(self._failures):
                self._recent(key, now)
        for key in keys:
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times
