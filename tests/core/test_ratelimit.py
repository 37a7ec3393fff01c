"""The multi-window limiter on both storages: exact gates, honest usage, refusals not counted."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from core.ratelimit import RateLimiter, Window, build_rate_limiter

MINUTE = Window("minute", 60, hard=3, soft=1)
DAY = Window("day", 86_400, hard=10, soft=8)


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[RateLimiter]:
    redis = Redis.from_url(redis_url) if request.param == "redis" else None
    yield build_rate_limiter(namespace=f"t{uuid.uuid4().hex[:8]}", redis=redis)
    if redis is not None:
        await redis.aclose()


async def test_a_refused_attempt_does_not_spend_the_longer_windows(limiter: RateLimiter) -> None:
    decisions = [await limiter.hit("alice", [DAY, MINUTE]) for _ in range(6)]

    assert [d.allowed for d in decisions] == [True] * 3 + [False] * 3
    assert decisions[-1].refused_by == MINUTE
    day = next(u for u in decisions[-1].usage if u.window == DAY)
    assert day.remaining == 7  # three admitted, the three refused not counted


async def test_usage_counts_down_and_the_filled_window_says_when_it_frees(
    limiter: RateLimiter,
) -> None:
    first, second, third = [await limiter.hit("bob", [MINUTE]) for _ in range(3)]

    assert [d.usage[0].remaining for d in (first, second, third)] == [2, 1, 0]
    assert (first.warnings, second.warnings) == ([], ["minute"])
    assert third.allowed
    assert 55 <= third.usage[0].retry_after <= 60


async def test_with_room_left_the_reset_is_when_the_oldest_admission_leaves(
    limiter: RateLimiter,
) -> None:
    decision = await limiter.hit("bob", [MINUTE, DAY])

    tightest = decision.tightest
    assert tightest is not None
    assert tightest.window == MINUTE
    assert tightest.reset_after is not None
    assert 59 <= tightest.reset_after <= 60
    assert decision.headers()["RateLimit-Reset"] == "60"
    assert decision.headers()["RateLimit"] == '"minute";r=2;t=60'


async def test_a_refusal_retries_when_room_frees_in_every_full_window(
    limiter: RateLimiter,
) -> None:
    both = [Window("minute", 60, hard=1), Window("hour", 3600, hard=1)]
    await limiter.hit("frank", both)
    refused = await limiter.hit("frank", both)

    assert not refused.allowed
    assert refused.refused_by == both[1]  # the minute frees first; a retry then still fails
    assert 3590 <= int(refused.headers()["Retry-After"]) <= 3600


async def test_fifty_racing_callers_admit_exactly_the_hard_limit(limiter: RateLimiter) -> None:
    windows = [Window("minute", 60, hard=20), Window("day", 86_400, hard=1000)]
    decisions = await asyncio.gather(*(limiter.hit("carol", windows) for _ in range(50)))

    assert sum(d.allowed for d in decisions) == 20
    assert all(d.refused_by == windows[0] for d in decisions if not d.allowed)
    assert [u.used for u in await limiter.usage("carol", windows)] == [20, 20]


async def test_subjects_are_counted_apart(limiter: RateLimiter) -> None:
    for _ in range(3):
        await limiter.hit("dave", [MINUTE])

    assert (await limiter.hit("erin", [MINUTE])).allowed
    assert not (await limiter.hit("dave", [MINUTE])).allowed


async def test_a_group_counts_only_what_names_it_and_both_gates_apply(
    limiter: RateLimiter,
) -> None:
    overall = Window("minute", 60, hard=5)
    narrow = Window("minute", 60, hard=2, group="weather")
    decisions = [await limiter.hit("gina", [overall, narrow]) for _ in range(3)]
    others = [await limiter.hit("gina", [overall]) for _ in range(3)]

    assert [d.allowed for d in decisions] == [True, True, False]
    assert decisions[-1].refused_by == narrow
    assert decisions[-1].headers()["RateLimit"].startswith('"weather/minute";r=0;t=')
    assert [d.allowed for d in others] == [True, True, True]  # the overall 5: 2 + 3
    assert [u.used for u in await limiter.usage("gina", [overall, narrow])] == [5, 2]


async def test_reading_usage_counts_nothing_and_reset_forgets_every_group(
    limiter: RateLimiter,
) -> None:
    grouped = Window("day", 86_400, hard=4, group="census")
    await limiter.hit("hugo", [MINUTE, grouped])
    await limiter.hit("hugo", [MINUTE, grouped])
    before = [u.used for u in await limiter.usage("hugo", [MINUTE, grouped])]
    await limiter.reset("hugo")

    assert before == [2, 2]
    assert [u.used for u in await limiter.usage("hugo", [MINUTE, grouped])] == [0, 0]
    assert [u.reset_after for u in await limiter.usage("hugo", [MINUTE, grouped])] == [0, 0]
    assert (await limiter.hit("hugo", [MINUTE, grouped])).usage[0].remaining == 2


async def test_a_hard_limit_of_zero_refuses_everything(limiter: RateLimiter) -> None:
    closed = Window("hour", 3600, hard=0, group="census")

    refused = await limiter.hit("ivan", [MINUTE, closed])

    assert (refused.allowed, refused.refused_by) == (False, closed)
    assert refused.headers()["Retry-After"] == "3600"
    assert [u.used for u in await limiter.usage("ivan", [MINUTE])] == [0]


async def test_on_redis_a_reset_finds_every_log_and_leaves_no_key(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    limiter = build_rate_limiter(namespace="reset", redis=redis)
    month = Window("month", 30 * 86_400, hard=100)
    await limiter.hit("jo", [month, Window("minute", 60, hard=5, group="census")])
    await limiter.hit("jo", [Window("minute", 60, hard=5)])  # a shorter call after a longer
    keys = [key async for key in redis.scan_iter("reset:ratelimit:*")]
    index_ttl = await redis.pttl("reset:ratelimit:jo")
    log_ttls = [await redis.pttl(key) for key in keys if key != b"reset:ratelimit:jo"]

    await limiter.reset("jo")

    assert len(log_ttls) == 2
    assert all(0 < ttl <= index_ttl for ttl in log_ttls)  # the index outlives its logs
    assert [key async for key in redis.scan_iter("reset:ratelimit:*")] == []
    await redis.aclose()


async def test_on_redis_a_server_that_lost_the_script_still_counts(redis_url: str) -> None:
    # A restarted or flushed Redis forgets loaded scripts: the check loads it again.
    redis = Redis.from_url(redis_url)
    limiter = build_rate_limiter(namespace="flushed", redis=redis)
    assert (await limiter.hit("kim", [MINUTE])).allowed
    await redis.script_flush()

    again = await limiter.hit("kim", [MINUTE])

    assert again.allowed
    assert [u.used for u in again.usage] == [2]
    await redis.aclose()
