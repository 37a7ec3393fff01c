"""Named locks across processes: file locks in the embedded mode, Redis locks in production.

A stream's export or import runs under one, so two workers never write one stream at once.
A file lock dies with its process (the kernel drops it). A Redis lock cannot see its holder,
so it has a short TTL that a background task renews every third of it while the holder
lives: a killed holder costs its stream one TTL, a slow one keeps its lock. A holder whose
lock was lost anyway (Redis restarted, the renewal stalled past the TTL) learns it from
`Hold.ensure()`, which it calls before it commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import structlog
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

log = structlog.get_logger(__name__)

LOCK_POLL_SECONDS = 0.02
DEFAULT_LOCK_TTL_SECONDS = 15.0


class LockLost(RuntimeError):
    """The lock expired or passed to another holder while this one worked under it."""


class Hold:
    """What `Locks.hold` yields: true when this caller holds the lock."""

    def __init__(self, name: str, held: bool) -> None:
        self.name = name
        self.held = held
        self.lost = False

    def __bool__(self) -> bool:
        return self.held

    async def ensure(self) -> None:
        """Raise `LockLost` unless the lock is still ours: call it before committing work
        done under the lock, inside the transaction, so a lost lock rolls the work back."""
        if not self.held or self.lost:
            raise LockLost(self.name)


class Locks(Protocol):
    def hold(self, name: str, *, wait: float = 0.0) -> contextlib.AbstractAsyncContextManager[Hold]:
        """Try to take `name`, waiting up to `wait` seconds; yields whether this caller holds
        it (see `Hold`)."""
        ...

    async def held_since(self, name: str) -> datetime | None:
        """When the current holder of `name` took it; None when nobody holds it."""
        ...


class FileLocks:
    """Advisory file locks: exclusive across the processes of one machine (embedded mode).

    The holder writes the time it took the lock into the file, for `held_since`."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def _open(self, name: str) -> int:
        self._directory.mkdir(parents=True, exist_ok=True)
        return os.open(self._directory / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)

    @contextlib.asynccontextmanager
    async def hold(self, name: str, *, wait: float = 0.0) -> AsyncIterator[Hold]:
        fd = self._open(name)
        deadline = time.monotonic() + wait
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield Hold(name, False)
                        return
                    await asyncio.sleep(LOCK_POLL_SECONDS)
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(time.time()).encode(), 0)
                yield Hold(name, True)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    async def held_since(self, name: str) -> datetime | None:
        fd = self._open(name)
        try:
            # A shared lock is granted only when nobody holds the exclusive one; taken for
            # an instant, it may make a holder-to-be skip one run, never wait.
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _parse_since(os.pread(fd, 64, 0).decode(errors="replace"))
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)


def _parse_since(text: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(text.split(":", 1)[0]), UTC)
    except ValueError:
        return None


class RedisHold(Hold):
    """A Redis lock renewed in the background while held (see the module's docstring)."""

    def __init__(self, name: str, lock: Lock, ttl: float) -> None:
        super().__init__(name, True)
        self._lock = lock
        self._ttl = ttl
        self._renewed_at = time.monotonic()

    async def renew_while_held(self) -> None:
        while True:
            await asyncio.sleep(self._ttl / 3)
            try:
                await self._lock.reacquire()
            except LockError:  # expired, or another holder has it now
                self.lost = True
                log.error("lock_lost", lock=self.name, ttl=self._ttl)
                return
            except RedisError as error:  # Redis away for a moment: try again next time
                log.warning("lock_renewal_failed", lock=self.name, error=type(error).__name__)
            else:
                self._renewed_at = time.monotonic()

    async def ensure(self) -> None:
        await super().ensure()
        # Renewals failing for two thirds of the TTL: the key may expire before we commit.
        stale = time.monotonic() - self._renewed_at > self._ttl * 2 / 3
        if stale or not await self._lock.owned():
            self.lost = True
        if self.lost:
            raise LockLost(self.name)


class RedisLocks:
    """Redis locks with a short TTL renewed while their holder lives."""

    def __init__(
        self, redis: Redis, namespace: str, *, ttl: float = DEFAULT_LOCK_TTL_SECONDS
    ) -> None:
        self._redis = redis
        self._prefix = f"{namespace}:lock:"
        self._ttl = ttl

    @contextlib.asynccontextmanager
    async def hold(self, name: str, *, wait: float = 0.0) -> AsyncIterator[Hold]:
        lock = self._redis.lock(
            self._prefix + name,
            timeout=self._ttl,
            blocking=wait > 0,
            blocking_timeout=wait or None,
            sleep=LOCK_POLL_SECONDS,
        )
        # The token (the key's value) starts with the time taken, for `held_since`.
        if not await lock.acquire(token=f"{time.time()}:{uuid.uuid4().hex}"):
            yield Hold(name, False)
            return
        hold = RedisHold(name, lock, self._ttl)
        renewal = asyncio.create_task(hold.renew_while_held())
        try:
            yield hold
        finally:
            renewal.cancel()
            # `wait`, not `suppress(CancelledError): await`: that would also swallow a cancel
            # of this task arriving meanwhile, and a cancelled job would then run on (a
            # runner's stop() once never returned).
            try:
                await asyncio.wait([renewal])
            finally:
                with contextlib.suppress(LockError):
                    await lock.release()

    async def held_since(self, name: str) -> datetime | None:
        token = await self._redis.get(self._prefix + name)
        if token is None:
            return None
        return _parse_since(token.decode() if isinstance(token, bytes) else str(token))
