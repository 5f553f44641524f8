"""A bounded HTTP load client: N requests at concurrency C, latency percentiles.

The same client drives Balie and the peer, so differences in the figures are the
servers', not the clients'. Every run stops at ``count`` requests or ``max_seconds``,
whichever comes first, and only ever talks to the base URL it is given (127.0.0.1).
"""

from __future__ import annotations

import asyncio
import math
import resource
import socket
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict[str, Any] | None = None
    expect_status: int = 200


# Builds request number i; called once per request, so bodies can be unique.
RequestMaker = Callable[[int], Request]
# Checks a response body beyond its status (e.g. "has items"); returns an error or None.
Check = Callable[[httpx.Response], str | None]


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of values at or below."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(
    *,
    base_url: str,
    label: str,
    make: RequestMaker,
    count: int,
    concurrency: int,
    headers: dict[str, str] | None = None,
    warmup: int = 5,
    max_seconds: float = 110.0,
    request_timeout: float = 60.0,
    check: Check | None = None,
) -> dict[str, Any]:
    """Run one measurement and return its figures as a JSON-ready dict."""
    if not base_url.startswith(("http://127.0.0.1", "http://localhost")):
        raise ValueError("the benchmark only sends traffic to 127.0.0.1")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    next_index = 0
    # Nagle plus delayed ACKs can add 40 ms to a request written in two segments; that
    # would measure the TCP stack, not the server.
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
    )
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, transport=transport, timeout=request_timeout
    ) as client:

        async def one(index: int, record: bool) -> None:
            request = make(index)
            started = time.perf_counter()
            try:
                response = await client.request(request.method, request.path, json=request.body)
                elapsed = time.perf_counter() - started
                problem = None
                if response.status_code != request.expect_status:
                    problem = f"{response.status_code}: {response.text[:200]}"
                elif check is not None:
                    problem = check(response)
            except httpx.HTTPError as exc:
                elapsed, problem, response = 0.0, f"{type(exc).__name__}: {exc}", None
            if not record:
                return
            if response is not None:
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if problem is None:
                latencies.append(elapsed * 1000)
            else:
                errors.append(problem)

        # Warm-up requests (connection set-up, first-query caches) are not recorded; they
        # use indexes past ``count`` so unique bodies stay unique.
        for i in range(warmup):
            await one(count + i, record=False)

        deadline = time.perf_counter() + max_seconds

        async def worker() -> None:
            nonlocal next_index
            while next_index < count and time.perf_counter() < deadline:
                index, next_index = next_index, next_index + 1
                await one(index, record=True)

        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        client_cpu = _cpu_seconds() - cpu_before

    values = sorted(latencies)

    def ms(p: float) -> float | None:
        value = percentile(values, p)
        return None if value is None else round(value, 2)

    return {
        "label": label,
        "concurrency": concurrency,
        "requested": count,
        "attempted": next_index,
        "ok": len(values),
        "errors": len(errors),
        "error_samples": errors[:3],
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "elapsed_s": round(elapsed, 3),
        "rps": round(len(values) / elapsed, 1) if elapsed else None,
        "p50_ms": ms(50),
        "p90_ms": ms(90),
        "p95_ms": ms(95),
        "p99_ms": ms(99),
        "max_ms": round(values[-1], 2) if values else None,
        "mean_ms": round(statistics.fmean(values), 2) if values else None,
        # The client shares the two cores with the server; its CPU is reported so a
        # reader can see how much of the machine the load itself took.
        "client_cpu_s": round(client_cpu, 2),
        "stopped_by_time_cap": next_index < count,
        # Raw latencies, so runs in several rounds can be pooled; callers drop this key
        # before printing.
        "latencies_ms": values,
    }
