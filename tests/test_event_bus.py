"""The event bus, the same tests for the in-process bus and for Redis (a real server)."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from balie.events import BusLost, EventBus, Subscription
from balie.events.memory import MemoryBus
from balie.events.redis_bus import RedisBus

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_redis() -> Iterator[tuple[int, list[subprocess.Popen[bytes]]]]:
    """A Redis of our own on a free port, which the test may stop and start again."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is needed for the restart test (Debian package redis-server)")
    port = _free_port()
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        procs.append(
            subprocess.Popen(
                [
                    server,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    start()
    yield port, procs
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


async def test_a_redis_restart_is_noticed_not_silent(
    own_redis: tuple[int, list[subprocess.Popen[bytes]]],
) -> None:
    port, procs = own_redis
    bus = RedisBus(f"redis://127.0.0.1:{port}/0", prefix="restart:")
    subscription = await bus.subscribe(["conversation:1"])
    await bus.publish("conversation:1", {"seq": 1})
    assert await _take(subscription, 1) == [("conversation:1", {"seq": 1})]

    procs[0].terminate()
    procs[0].wait(timeout=10)
    with pytest.raises(BusLost):
        await _take(subscription, 1)
    await subscription.close()
    with pytest.raises(BusLost):
        await bus.publish("conversation:1", {"seq": 2})
    await bus.close()
