"""The event bus, the same tests for the in-process bus and for Redis (a real server)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from balie.events import BusLost, EventBus, Subscription
from balie.events.bus import ALL
from balie.events.memory import MemoryBus
from balie.events.redis_bus import RedisBus
from tests.live_support import OwnRedis

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    # Each run has its own key prefix on the shared Redis, so runs never hear each other.
    made: EventBus = (
        MemoryBus()
        if request.param == "memory"
        else RedisBus(REDIS_URL, prefix=f"balie-test-{secrets.token_hex(4)}:")
    )
    yield made
    await made.close()


async def _take(subscription: Subscription, count: int) -> list[tuple[str, Any]]:
    got: list[tuple[str, Any]] = []

    async def read() -> None:
        async for item in subscription:
            got.append(item)
            if len(got) == count:
                return

    await asyncio.wait_for(read(), timeout=5)
    return got


async def test_subscribers_hear_their_topics_in_order(bus: EventBus) -> None:
    async with (
        await bus.subscribe(["conversation:1"]) as one,
        await bus.subscribe(["conversation:1", "inbox:7"]) as both,
    ):
        for n in range(1, 4):
            await bus.publish("conversation:1", {"seq": n})
        await bus.publish("conversation:2", {"seq": 99})
        await bus.publish("inbox:7", {"new": 5})
        assert await _take(one, 3) == [("conversation:1", {"seq": n}) for n in (1, 2, 3)]
        assert await _take(both, 4) == [
            *[("conversation:1", {"seq": n}) for n in (1, 2, 3)],
            ("inbox:7", {"new": 5}),
        ]


async def test_a_subscription_to_all_hears_every_topic_of_its_prefix(bus: EventBus) -> None:
    async with await bus.subscribe([ALL]) as everything:
        await bus.publish("conversation:1", {"seq": 1})
        await bus.publish("queue:3", {})
        await bus.publish("visitor:1:anon:x", {"frame": {"type": "switch"}})
        assert await _take(everything, 3) == [
            ("conversation:1", {"seq": 1}),
            ("queue:3", {}),
            ("visitor:1:anon:x", {"frame": {"type": "switch"}}),
        ]
    if isinstance(bus, RedisBus):
        # Another installation's prefix on the same Redis is not heard.
        other = RedisBus(REDIS_URL, prefix=f"balie-other-{secrets.token_hex(4)}:")
        async with await bus.subscribe([ALL]) as ours:
            await other.publish("conversation:1", {"seq": 9})
            await bus.publish("conversation:2", {"seq": 1})
            assert await _take(ours, 1) == [("conversation:2", {"seq": 1})]
        await other.close()


async def test_closing_one_subscription_leaves_the_others_listening(bus: EventBus) -> None:
    closed = await bus.subscribe(["t"])
    async with await bus.subscribe(["t"]) as still_open:
        await closed.close()
        await bus.publish("t", {"n": 1})
        assert await _take(still_open, 1) == [("t", {"n": 1})]
    if isinstance(bus, MemoryBus):
        # A closed in-process subscription ends its loop instead of waiting forever.
        assert [item async for item in closed] == []
        assert bus.subscriptions == set()


async def test_a_redis_restart_is_noticed_not_silent(own_redis: OwnRedis) -> None:
    bus = RedisBus(own_redis.url, prefix="restart:")
    subscription = await bus.subscribe(["conversation:1"])
    await bus.publish("conversation:1", {"seq": 1})
    assert await _take(subscription, 1) == [("conversation:1", {"seq": 1})]

    own_redis.stop()
    with pytest.raises(BusLost):
        await _take(subscription, 1)
    await subscription.close()
    with pytest.raises(BusLost):
        await bus.publish("conversation:1", {"seq": 2})
    await bus.close()
