"""A lock outlives neither its holder's death nor a working holder's TTL (issue #18)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from core.locks import FileLocks, LockLost, Locks, RedisLocks
from tests.waiting import scaled, start_module, stopping, until

ROOT = Path(__file__).resolve().parents[2]
TTL = 1.5
"""Short, so a test waits only a few of them (production's default is 15 s,
`lock_ttl_seconds`), long enough that a holder on a busy machine renews in time."""


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.mark.parametrize("kind", ["redis", "file"])
async def test_a_killed_holder_loses_its_lock_within_the_ttl_a_live_one_keeps_it(
    kind: str, redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    where = redis_url if kind == "redis" else str(tmp_path / "locks")
    locks: Locks = RedisLocks(redis, "test", ttl=TTL) if kind == "redis" else FileLocks(Path(where))
    holder = start_module(
        "holder",
        "tests.core.lock_holder",
        kind,
        where,
        "import-users",
        str(TTL),
        log_dir=tmp_path / "logs",
        cwd=ROOT,
    )
    with stopping(holder):

        async def holding() -> bool:
            return "held" in holder.output()

        await until(holding, what="the holder to take the lock", watch=[holder], timeout=30)
        # Alive, it keeps the lock past its TTL: a contender waiting two TTLs gets nothing
        # (a file lock has no TTL to outlive: a short wait shows it is held).
        waited = 2 * TTL if kind == "redis" else 0.1
        async with locks.hold("import-users", wait=waited) as contender:
            assert not contender
        assert await locks.held_since("import-users") is not None

        holder.process.kill()
        holder.process.wait()
        killed_at = time.monotonic()
        async with locks.hold("import-users", wait=scaled(10 * TTL)) as taker:
            taken_after = time.monotonic() - killed_at
            assert taker
        assert taken_after < TTL + scaled(0.5)
    assert await locks.held_since("import-users") is None


async def test_a_holder_learns_before_committing_that_its_lock_was_lost(redis: Redis) -> None:
    locks = RedisLocks(redis, "test", ttl=TTL)
    async with locks.hold("export-users") as hold:
        await hold.ensure()
        # Redis lost the key (restarted, or the holder stalled past the TTL) and another
        # holder took the name: the renewal notices, and so does the check before commit.
        await redis.delete("test:lock:export-users")
        async with locks.hold("export-users") as other:
            assert other

            async def noticed() -> bool:
                return hold.lost

            await until(noticed, what="the renewal to notice the lost lock", timeout=5 * TTL)
            with pytest.raises(LockLost):
                await hold.ensure()
            await other.ensure()


async def test_a_holder_cancelled_while_it_lets_go_stays_cancelled_and_lets_go(
    redis: Redis,
) -> None:
    locks = RedisLocks(redis, "test", ttl=TTL)
    inside, leave = asyncio.Event(), asyncio.Event()
    went_on = False

    async def holder() -> None:
        nonlocal went_on
        async with locks.hold("import-users"):
            inside.set()
            await leave.wait()
        went_on = True  # what a job would do next: must not run once it was cancelled

    task = asyncio.create_task(holder())
    await inside.wait()
    leave.set()
    await asyncio.sleep(0)  # the holder leaves the block and waits for its renewal to stop
    task.cancel()
    await asyncio.wait([task])

    assert task.cancelled()
    assert not went_on
    assert await redis.get("test:lock:import-users") is None  # released all the same
