"""The log-in throttle on its own, with a clock the test moves."""

from __future__ import annotations

from balie.web.login_throttle import MemoryLoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_blocks_after_the_allowed_failures_until_the_window_passes() -> None:
    clock = Clock()
    throttle = MemoryLoginThrottle(attempts=3, window_seconds=300, clock=clock)
    keys = ["email:a@b.nl", "ip:10.0.0.1"]
    for _ in range(2):
        await throttle.failed(keys)
        clock.now += 10
    assert await throttle.wait_seconds(keys) == 0
    await throttle.failed(keys)  # the third failure, at t=1020
    # Allowed again when the first failure (t=1000) leaves the window: at t=1300.
    assert await throttle.wait_seconds(keys) == 280
    clock.now += 100
    assert await throttle.wait_seconds(["email:a@b.nl"]) == 180
    assert await throttle.wait_seconds(["email:other@b.nl"]) == 0
    # The window slides: once the first failure is 300 s old, one more try is allowed.
    clock.now = 1300
    assert await throttle.wait_seconds(keys) == 0


async def test_old_keys_are_swept_when_the_table_grows() -> None:
    clock = Clock()
    throttle = MemoryLoginThrottle(attempts=3, window_seconds=60, clock=clock)
    throttle.SWEEP_ABOVE = 5
    for n in range(10):
        await throttle.failed([f"email:{n}@b.nl"])
    clock.now += 61
    await throttle.failed(["email:new@b.nl"])
    assert await throttle.wait_seconds(["email:new@b.nl"]) == 0
    assert len(throttle) == 1
