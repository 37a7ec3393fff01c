"""The multi-window limiter on both storages: exact gates, honest usage, refusals not counted."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from core.ratelimit import RateLimiter, Window, build_rate_limiter

MINUTE = Window("minute", 60, hard=3, soft=1)
DAY = Window("day", 86_400, hard=10, soft=8)


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest, redis_url: str) -> RateLimiter:
    url = redis_url if request.param == "redis" else None
    return build_rate_limiter(namespace=f"t{uuid.uuid4().hex[:8]}", redis_url=url)


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
    assert 55 <= third.usage[0].reset_after <= 60


async def test_racing_callers_never_pass_the_hard_limit(limiter: RateLimiter) -> None:
    decisions = await asyncio.gather(*(limiter.hit("carol", [MINUTE, DAY]) for _ in range(30)))

    assert sum(d.allowed for d in decisions) == 3
    assert all(d.refused_by is not None for d in decisions if not d.allowed)


async def test_subjects_are_counted_apart(limiter: RateLimiter) -> None:
    for _ in range(3):
        await limiter.hit("dave", [MINUTE])

    assert (await limiter.hit("erin", [MINUTE])).allowed
    assert not (await limiter.hit("dave", [MINUTE])).allowed
