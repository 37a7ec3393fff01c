"""Cost of one rate-limit check on Redis, as a submission pays it.

    .venv/bin/python -m bench.bench_ratelimit [--checks 2000]

Starts a throwaway `redis-server`, then times `RateLimiter.hit` for one user against the four
windows of a profile (minute, hour, day, month: what `POST /requests` checks), next to a bare
Redis `PING` round trip measured in the same run: the ratio says how many round trips' worth a
check costs. Target: p50 under 1 ms. Also prints the in-process (embedded) limiter. Asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from core.ratelimit import RateLimiter, Window, build_rate_limiter
from tests.services import run_redis

WINDOWS = [
    Window("minute", 60, hard=1_000_000, soft=10),
    Window("hour", 3600, hard=1_000_000, soft=100),
    Window("day", 86_400, hard=1_000_000, soft=1000),
    Window("month", 30 * 86_400, hard=1_000_000, soft=10_000),
]


async def timed(count: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    """Milliseconds per call, after a short warm-up."""
    for _ in range(min(50, count)):
        await call()
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def describe(name: str, timings: list[float]) -> str:
    quantiles = statistics.quantiles(timings, n=100, method="inclusive")
    return f"{name:<34} p50 {quantiles[49]:7.3f} ms   p95 {quantiles[94]:7.3f} ms"


async def limiter_check(limiter: RateLimiter, subject: str) -> None:
    decision = await limiter.hit(subject, WINDOWS)
    if not decision.allowed:
        raise RuntimeError("the benchmark's limits are too low")


async def main(checks: int) -> None:
    with run_redis() as server:
        redis = Redis.from_url(server.url())
        limiter = build_rate_limiter(namespace="bench", redis_url=server.url())
        embedded = build_rate_limiter(namespace="bench", redis_url=None)
        try:
            ping = await timed(checks, redis.ping)
            one_window = await timed(checks, lambda: limiter.hit("user-1", WINDOWS[:1]))
            four = await timed(checks, lambda: limiter_check(limiter, "user-2"))
            local = await timed(checks, lambda: limiter_check(embedded, "user-3"))
        finally:
            await redis.aclose()
    p50 = statistics.median
    print(f"rate-limit check, {checks} checks each, one subject, Redis on localhost")
    print(describe("Redis PING (baseline)", ping))
    print(describe("limiter, 1 window, Redis", one_window))
    print(describe("limiter, 4 windows, Redis", four))
    print(describe("limiter, 4 windows, in-process", local))
    print(
        f"4-window check on Redis: p50 {p50(four):.3f} ms = {p50(four) / p50(ping):.1f}x a PING "
        f"(target < 1 ms p50: {'met' if p50(four) < 1 else 'NOT met'})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=2000)
    asyncio.run(main(parser.parse_args().checks))
