"""The shape every bus backend has."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable
from typing import Any

Event = dict[str, Any]
# Subscribing to this topic hears every topic (one subscription per process, see balie.live).
ALL = "*"


class BusLost(Exception):
    """The connection to the bus broke: events may have been missed. Resume from the
    database, then subscribe again."""


class Subscription(ABC):
    """Events on some topics, in the order they were published, until closed."""

    @abstractmethod
    def __aiter__(self) -> AsyncIterator[tuple[str, Event]]: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class EventBus(ABC):
    @abstractmethod
    async def publish(self, topic: str, event: Event) -> None: ...

    @abstractmethod
    async def subscribe(self, topics: Iterable[str]) -> Subscription:
        """Start listening; events published after this returns are delivered."""

    @abstractmethod
    async def close(self) -> None: ...
