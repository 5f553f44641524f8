"""The bus across processes, over Redis pub/sub (``BALIE_REDIS_URL``).

Pub/sub keeps nothing: a subscriber that was disconnected has missed what was published
meanwhile. So a broken connection ends the subscription with ``BusLost`` rather than being
papered over by a silent reconnect; the subscriber resumes from the database.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterable

from redis import asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from balie.events.bus import ALL, BusLost, Event, EventBus, Subscription

# How long a subscriber waits for a message before checking the connection is alive.
HEARTBEAT_SECONDS = 5.0


class RedisSubscription(Subscription):
    def __init__(self, pubsub: aioredis.client.PubSub, prefix: str) -> None:
        self.pubsub = pubsub
        self.prefix = prefix

    async def __aiter__(self) -> AsyncIterator[tuple[str, Event]]:
        try:
            while True:
                message = await self.pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=HEARTBEAT_SECONDS
                )
                if message is None:
                    # Quiet is fine; a dead connection is not: ping to tell them apart.
                    await self.pubsub.ping()
                    continue
                if message.get("type") not in ("message", "pmessage"):
                    continue
                channel = message["channel"].decode()
                yield channel.removeprefix(self.prefix), json.loads(message["data"])
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise BusLost(f"lost the connection to Redis: {exc}") from exc

    async def close(self) -> None:
        with contextlib.suppress(RedisConnectionError, OSError):  # already gone
            await self.pubsub.aclose()  # type: ignore[no-untyped-call]


class RedisBus(EventBus):
    def __init__(self, url: str, *, prefix: str = "balie:") -> None:
        self.prefix = prefix
        self.client = aioredis.from_url(url, socket_connect_timeout=5)

    async def publish(self, topic: str, event: Event) -> None:
        try:
            await self.client.publish(self.prefix + topic, json.dumps(event))
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise BusLost(f"could not publish to Redis: {exc}") from exc

    async def subscribe(self, topics: Iterable[str]) -> Subscription:
        pubsub = self.client.pubsub()
        wanted = list(topics)
        try:
            if ALL in wanted:
                await pubsub.psubscribe(self.prefix + "*")
            else:
                await pubsub.subscribe(*(self.prefix + t for t in wanted))
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise BusLost(f"could not subscribe on Redis: {exc}") from exc
        return RedisSubscription(pubsub, self.prefix)

    async def close(self) -> None:
        await self.client.aclose()
