"""Cost of one rate-limit check on Redis, as a submission pays it.

    .venv/bin/python -m bench.bench_ratelimit [--checks 2000]

Starts a throwaway `redis-server`, then times `RateLimiter.hit` for one user against what
`POST /requests` checks: the four windows of a profile (minute, hour, day, month) and the four
of a per-type limit, next to a bare Redis `PING` round trip measured in the same run. The
ratio says how many round trips' worth a check costs; the target is a p50 of at most 2x a
PING (one script call per check), both through the client the API processes use
(`core.cache.connect_redis`). Also prints the in-process (embedded) limiter. Asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from bench.report import Measure, at_most, emit, info
from core.cache import connect_redis
from core.ratelimit import RateLimiter, Window, build_rate_limiter
from tests.services import run_redis

SECONDS = {"minute": 60, "hour": 3600, "day": 86_400, "month": 30 * 86_400}
GLOBAL = [Window(name, seconds, hard=1_000_000, soft=10) for name, seconds in SECONDS.items()]
PER_TYPE = [
    Window(name, seconds, hard=1_000_000, soft=10, group="weather")
    for name, seconds in SECONDS.items()
]
TARGET_RATIO = 2.0


async def timed(
    count: int, calls: dict[str, Callable[[], Awaitable[object]]]
) -> dict[str, list[float]]:
    """Milliseconds per call of each, after a short warm-up. The calls take turns, one of each
    per round, so that the baseline and the checks share whatever the machine is doing."""
    for _ in range(min(50, count)):
        for call in calls.values():
            await call()
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(count):
        for name, call in calls.items():
            started = time.perf_counter()
            await call()
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


def quantile(timings: list[float], percent: int) -> float:
    return statistics.quantiles(timings, n=100, method="inclusive")[percent - 1]


def describe(name: str, timings: list[float], ping: list[float]) -> str:
    p50, p95 = quantile(timings, 50), quantile(timings, 95)
    ratio = p50 / quantile(ping, 50)
    return f"{name:<40} p50 {p50:7.3f} ms   p95 {p95:7.3f} ms   p50 {ratio:4.1f}x PING"


async def limiter_check(limiter: RateLimiter, subject: str, windows: list[Window]) -> None:
    decision = await limiter.hit(subject, windows)
    if not decision.allowed:
        raise RuntimeError("the benchmark's limits are too low")


async def main(checks: int) -> list[Measure]:
    with run_redis() as server:
        # The API's own client (hiredis packs its commands; socket timeouts), for the PING and
        # the checks. Also a bare redis-py client: its timeouts cost every command ~15 us here,
        # which makes a check look cheaper against its PING, so both ratios are shown.
        redis = connect_redis(server.url())
        bare = Redis.from_url(server.url())
        limiter = build_rate_limiter(namespace="bench", redis=redis)
        bare_limiter = build_rate_limiter(namespace="bare", redis=bare)
        embedded = build_rate_limiter(namespace="bench", redis=None)
        both = GLOBAL + PER_TYPE
        try:
            found = await timed(
                checks,
                {
                    "ping": redis.ping,
                    "one": lambda: limiter_check(limiter, "user-1", GLOBAL[:1]),
                    "four": lambda: limiter_check(limiter, "user-2", GLOBAL),
                    "eight": lambda: limiter_check(limiter, "user-3", both),
                    "local": lambda: limiter_check(embedded, "user-4", both),
                    "bare_ping": bare.ping,
                    "bare_eight": lambda: limiter_check(bare_limiter, "user-5", both),
                },
            )
        finally:
            await redis.aclose()
            await bare.aclose()
    ping, one, four, eight, local, bare_ping, bare_eight = (
        found[name] for name in ("ping", "one", "four", "eight", "local", "bare_ping", "bare_eight")
    )
    print(f"rate-limit check, {checks} checks each, one subject, Redis on localhost")
    print(describe("Redis PING (baseline)", ping, ping))
    print(describe("limiter, 1 window, Redis", one, ping))
    print(describe("limiter, 4 windows, Redis", four, ping))
    print(describe("limiter, 4 + 4 per-type windows, Redis", eight, ping))
    print(describe("limiter, 4 + 4 windows, in-process", local, ping))
    print(describe("bare client: PING", bare_ping, bare_ping))
    print(describe("bare client: limiter, 4 + 4 windows", bare_eight, bare_ping))
    ratio = quantile(eight, 50) / quantile(ping, 50)
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(
        f"4 + 4 window check on Redis: p50 {quantile(eight, 50):.3f} ms = {ratio:.1f}x a PING "
        f"(target <= {TARGET_RATIO:.0f}x: {verdict})"
    )
    ping50 = quantile(ping, 50)
    return [
        at_most(
            "rate-limit check, 4 + 4 windows, Redis",
            quantile(eight, 50),
            "ms",
            ping50,
            "Redis PING",
            TARGET_RATIO,
        ),
        info(
            "rate-limit check, 4 windows, Redis",
            quantile(four, 50),
            "ms",
            baseline=ping50,
            baseline_name="Redis PING",
        ),
        info(
            "the same, bare redis-py client",
            quantile(bare_eight, 50),
            "ms",
            baseline=quantile(bare_ping, 50),
            baseline_name="its PING",
        ),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=2000)
    emit(asyncio.run(main(parser.parse_args().checks)))
