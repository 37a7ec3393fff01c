"""Named locks across processes: file locks in the embedded mode, Redis locks in production.

A stream's export or import runs under one, so two workers never write one stream at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import LockError

LOCK_POLL_SECONDS = 0.02


class Locks(Protocol):
    def hold(
        self, name: str, *, ttl: float = 300, wait: float = 0.0
    ) -> contextlib.AbstractAsyncContextManager[bool]:
        """Try to take `name`, waiting up to `wait` seconds; yields whether this caller holds
        it."""
        ...


class FileLocks:
    """Advisory file locks: exclusive across the processes of one machine (embedded mode)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    @contextlib.asynccontextmanager
    async def hold(self, name: str, *, ttl: float = 300, wait: float = 0.0) -> AsyncIterator[bool]:
        self._directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._directory / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + wait
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    await asyncio.sleep(LOCK_POLL_SECONDS)
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class RedisLocks:
    """Redis locks with a TTL, so a crashed holder cannot block a stream forever."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self._redis = redis
        self._prefix = f"{namespace}:lock:"

    @contextlib.asynccontextmanager
    async def hold(self, name: str, *, ttl: float = 300, wait: float = 0.0) -> AsyncIterator[bool]:
        lock = self._redis.lock(
            self._prefix + name,
            timeout=ttl,
            blocking=wait > 0,
            blocking_timeout=wait or None,
            sleep=LOCK_POLL_SECONDS,
        )
        acquired = await lock.acquire()
        if not acquired:
            yield False
            return
        try:
            yield True
        finally:
            with contextlib.suppress(LockError):
                await lock.release()
