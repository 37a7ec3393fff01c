"""A process that takes one lock and keeps it until it is killed: `python -m
tests.core.lock_holder redis|file <redis url or directory> <name> <ttl>`.

It prints `held` once it holds the lock."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from redis.asyncio import Redis

from core.locks import FileLocks, Locks, RedisLocks


async def hold_forever(kind: str, where: str, name: str, ttl: float) -> None:
    locks: Locks = (
        RedisLocks(Redis.from_url(where), "test", ttl=ttl)
        if kind == "redis"
        else FileLocks(Path(where))
    )
    async with locks.hold(name, wait=30) as hold:
        assert hold, "the lock stayed taken for 30 s"
        print("held", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(hold_forever(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
