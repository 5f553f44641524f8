"""The bus inside one process: the embedded default, nothing to install."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

from balie.events.bus import ALL, Event, EventBus, Subscription

_CLOSED = object()


class MemorySubscription(Subscription):
    def __init__(self, bus: MemoryBus, topics: frozenset[str]) -> None:
        self.bus = bus
        self.topics = topics
        self.queue: asyncio.Queue[tuple[str, Event] | object] = asyncio.Queue()

    async def __aiter__(self) -> AsyncIterator[tuple[str, Event]]:
        while True:
            item = await self.queue.get()
            if item is _CLOSED:
                return
            assert isinstance(item, tuple)
            yield item

    async def close(self) -> None:
        self.bus.subscriptions.discard(self)
        self.queue.put_nowait(_CLOSED)


class MemoryBus(EventBus):
    def __init__(self) -> None:
        self.subscriptions: set[MemorySubscription] = set()

    async def publish(self, topic: str, event: Event) -> None:
        for subscription in list(self.subscriptions):
            if topic in subscription.topics or ALL in subscription.topics:
                subscription.queue.put_nowait((topic, event))

    async def subscribe(self, topics: Iterable[str]) -> Subscription:
        subscription = MemorySubscription(self, frozenset(topics))
        self.subscriptions.add(subscription)
        return subscription

    async def close(self) -> None:
        for subscription in list(self.subscriptions):
            await subscription.close()
