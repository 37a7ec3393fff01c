"""Cache and lock backends: in-process for the embedded mode, Redis in production."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import LockError


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    keys: int
    memory_bytes: int | None

    @property
    def hit_ratio(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class Cache(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None: ...
    async def delete(self, *keys: str) -> int: ...
    async def delete_prefix(self, prefix: str) -> int: ...
    async def incr(self, key: str, *, ttl: float) -> int: ...
    async def ttl(self, key: str) -> float | None: ...
    async def ping(self) -> None: ...
    async def stats(self) -> CacheStats: ...
    async def close(self) -> None: ...


class InProcessCache:
    """A dict with expiry; good for one process, which is what the embedded mode runs."""

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace
        self._data: dict[str, tuple[bytes, float | None]] = {}
        self._hits = 0
        self._misses = 0

    def _live(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            del self._data[key]
            return None
        return value

    async def get(self, key: str) -> bytes | None:
        value = self._live(key)
        if value is None:
            self._misses += 1
        else:
            self._hits += 1
        return value

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        self._data[key] = (value, time.monotonic() + ttl if ttl else None)

    async def delete(self, *keys: str) -> int:
        return sum(1 for key in keys if self._data.pop(key, None) is not None)

    async def delete_prefix(self, prefix: str) -> int:
        doomed = [key for key in self._data if key.startswith(prefix)]
        return await self.delete(*doomed)

    async def incr(self, key: str, *, ttl: float) -> int:
        current = self._live(key)
        count = int(current or b"0") + 1
        expires = self._data[key][1] if current is not None else time.monotonic() + ttl
        self._data[key] = (str(count).encode(), expires)
        return count

    async def ttl(self, key: str) -> float | None:
        if self._live(key) is None:
            return None
        expires = self._data[key][1]
        return None if expires is None else max(0.0, expires - time.monotonic())

    async def ping(self) -> None:
        return None

    async def stats(self) -> CacheStats:
        keys = sum(1 for key in list(self._data) if self._live(key) is not None)
        return CacheStats(self._hits, self._misses, keys, None)

    async def close(self) -> None:
        self._data.clear()


class RedisCache:
    """Keys live under `<namespace>:` so both networks may share one Redis in development."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self.redis = redis
        self._prefix = f"{namespace}:"
        self._stats_key = f"{namespace}:_stats"

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def get(self, key: str) -> bytes | None:
        value: bytes | None = await self.redis.get(self._key(key))
        # Counted in Redis so every API replica reports the same figures.
        await self.redis.hincrby(self._stats_key, "misses" if value is None else "hits", 1)  # type: ignore[misc]
        return value

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        await self.redis.set(self._key(key), value, px=int(ttl * 1000) if ttl else None)

    async def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        return int(await self.redis.delete(*(self._key(key) for key in keys)))

    async def delete_prefix(self, prefix: str) -> int:
        deleted = 0
        batch: list[str] = []
        async for key in self.redis.scan_iter(match=self._key(prefix) + "*", count=500):
            batch.append(key.decode() if isinstance(key, bytes) else key)
            if len(batch) >= 500:
                deleted += int(await self.redis.delete(*batch))
                batch.clear()
        if batch:
            deleted += int(await self.redis.delete(*batch))
        return deleted

    async def incr(self, key: str, *, ttl: float) -> int:
        full = self._key(key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(full)
            pipe.pexpire(full, int(ttl * 1000), nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def ttl(self, key: str) -> float | None:
        millis = int(await self.redis.pttl(self._key(key)))
        return None if millis < 0 else millis / 1000

    async def ping(self) -> None:
        await self.redis.ping()

    async def stats(self) -> CacheStats:
        counters = await self.redis.hgetall(self._stats_key)  # type: ignore[misc]
        keys = 0
        async for _ in self.redis.scan_iter(match=self._prefix + "*", count=1000):
            keys += 1
        info = await self.redis.info("memory")
        return CacheStats(
            hits=int(counters.get(b"hits", 0)),
            misses=int(counters.get(b"misses", 0)),
            keys=max(0, keys - (1 if counters else 0)),
            memory_bytes=int(info.get("used_memory", 0)) or None,
        )

    async def close(self) -> None:
        await self.redis.aclose()


class Locks(Protocol):
    def hold(self, name: str, *, ttl: float = 300) -> contextlib.AbstractAsyncContextManager[bool]:
        """Try to take `name` without waiting; yields whether this caller holds it."""
        ...


class FileLocks:
    """Advisory file locks: exclusive across the processes of one machine (embedded mode)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    @contextlib.asynccontextmanager
    async def hold(self, name: str, *, ttl: float = 300) -> AsyncIterator[bool]:
        self._directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._directory / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
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
    async def hold(self, name: str, *, ttl: float = 300) -> AsyncIterator[bool]:
        lock = self._redis.lock(self._prefix + name, timeout=ttl, blocking=False)
        acquired = await lock.acquire()
        if not acquired:
            yield False
            return
        try:
            yield True
        finally:
            with contextlib.suppress(LockError):
                await lock.release()


def connect_redis(url: str) -> Redis:
    return Redis.from_url(  # type: ignore[no-any-return]
        url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30
    )
