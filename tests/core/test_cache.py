"""Cache and lock backends behave the same in-process and on a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from core.cache import Cache, FileLocks, InProcessCache, Locks, RedisCache, RedisLocks


@pytest.fixture(params=["in_process", "redis"])
async def cache(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[Cache]:
    backend: Cache
    if request.param == "redis":
        backend = RedisCache(Redis.from_url(redis_url), "test")
    else:
        backend = InProcessCache("test")
    yield backend
    await backend.close()


@pytest.fixture(params=["file", "redis"])
async def locks(
    request: pytest.FixtureRequest, redis_url: str, tmp_path: Path
) -> AsyncIterator[Locks]:
    if request.param == "redis":
        client = Redis.from_url(redis_url)
        yield RedisLocks(client, "test")
        await client.aclose()
    else:
        yield FileLocks(tmp_path / "locks")


async def test_set_get_and_expiry(cache: Cache) -> None:
    await cache.set("a", b"1", ttl=0.2)
    await cache.set("b", b"2")
    assert await cache.get("a") == b"1"
    await asyncio.sleep(0.3)
    assert await cache.get("a") is None
    assert await cache.get("b") == b"2"
    assert await cache.ttl("b") is None


async def test_delete_by_prefix_leaves_other_keys(cache: Cache) -> None:
    for key in ("user:1:x", "user:1:y", "user:2:x"):
        await cache.set(key, b"v")
    assert await cache.delete_prefix("user:1:") == 2
    assert await cache.get("user:2:x") == b"v"
    assert await cache.delete("user:2:x", "missing") == 1


async def test_incr_counts_within_its_window(cache: Cache) -> None:
    assert [await cache.incr("n", ttl=10) for _ in range(3)] == [1, 2, 3]
    remaining = await cache.ttl("n")
    assert remaining is not None
    assert 0 < remaining <= 10


async def test_stats_count_hits_and_misses(cache: Cache) -> None:
    await cache.set("k", b"v")
    await cache.get("k")
    await cache.get("k")
    await cache.get("absent")
    stats = await cache.stats()
    assert (stats.hits, stats.misses, stats.keys) == (2, 1, 1)
    assert stats.hit_ratio == pytest.approx(2 / 3)
    await cache.ping()


async def test_lock_is_exclusive_until_released(locks: Locks) -> None:
    async with locks.hold("export-users") as first:
        async with locks.hold("export-users") as second:
            assert (first, second) == (True, False)
        async with locks.hold("import-users") as other:
            assert other is True
    async with locks.hold("export-users") as again:
        assert again is True
