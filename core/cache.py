"""Cache backends: in-process for the embedded mode, Redis in production."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum, auto
from typing import Protocol

import hiredis
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import DataError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.typing import EncodableT

from core.tally import Tally

UNREACHABLE: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)
"""What a cache call raises while Redis is down or unreachable (the in-process cache never
does): callers that can do without the cache catch these and go on without it."""


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


GENERATION_TTL = 86_400.0
"""Seconds a key's generation outlives its last bump: far longer than any load takes."""

_INTERNAL = "_"
"""Keys of the cache's own bookkeeping start with this; `stats` does not count them."""


def _generation_key(key: str) -> str:
    return f"_gen:{key}"


def _mark_key(key: str) -> str:
    return f"_mark:{key}"


@dataclass(frozen=True)
class FillTicket:
    """What a reader saw of a key before loading its value from the database."""

    key: str
    generation: int
    blocked: bool
    """A writer is changing the data behind the key: serve what you load, do not store it."""


class _Ahead(Enum):
    UNREAD = auto()
    """A key to read ahead, not read yet."""


_read_ahead: ContextVar[dict[str, bytes | _Ahead | None] | None] = ContextVar(
    "read_ahead", default=None
)


@contextmanager
def read_ahead_scope() -> Iterator[None]:
    """One request's keys to read ahead (`Cache.read_ahead`): dropped, read or not, at its end."""
    token = _read_ahead.set({})
    try:
        yield
    finally:
        _read_ahead.reset(token)


class Cache(Protocol):
    """A byte cache; keys starting with `_` are reserved for the cache's bookkeeping.

    Guarded fills (the read-through protocol that never leaves an old value cached): a reader
    that misses takes a `fill_ticket`, loads from the database, then `set_if_current`, which
    stores only if no writer touched the key since the ticket. A writer calls
    `begin_invalidation` inside its transaction (marks the keys, bumps their generation,
    drops their values) and `end_invalidation` after the commit (bumps and drops again,
    clears the marks).
    """

    async def get(self, key: str) -> bytes | None:
        """The value, counted as a hit or a miss in `stats`."""
        ...

    async def peek(self, key: str) -> bytes | None:
        """The value, not counted."""
        ...

    def read_ahead(self, *keys: str) -> None:
        """Read `keys` in the round trip of this request's next read (Redis: one `MGET`).

        For a request that reads a key it knows early after another read it must do first
        (its token's revocation, then the answer): one round trip instead of two. Each value
        is served once, to the key's first read, and only within `read_ahead_scope`, before
        the request writes to the cache. Outside that scope, and in process, it does nothing.
        """
        ...

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None: ...
    async def add(self, key: str, value: bytes, *, ttl: float) -> bool:
        """Store only if the key is absent; True if stored (a lock with a lifetime)."""
        ...

    async def replace(self, key: str, old: bytes, new: bytes) -> bool:
        """Swap the value for `new` only if it still is `old`, keeping its expiry."""
        ...

    async def delete(self, *keys: str) -> int: ...
    async def delete_prefix(self, prefix: str) -> int: ...
    async def incr(self, key: str, *, ttl: float, amount: int = 1) -> int: ...
    async def ttl(self, key: str) -> float | None: ...
    async def expire(self, key: str, *, ttl: float) -> None:
        """Give an existing key `ttl` more seconds to live, keeping its value (counters raced
        by others must not be overwritten to move their expiry)."""
        ...

    async def fill_ticket(self, key: str) -> FillTicket: ...
    async def set_if_current(self, ticket: FillTicket, value: bytes, *, ttl: float) -> bool:
        """Store only if the key was neither marked nor invalidated since `ticket`."""
        ...

    async def begin_invalidation(self, keys: Sequence[str], *, hold: float) -> None:
        """Before the writer commits: mark each key for `hold` seconds, bump, drop its value."""
        ...

    async def end_invalidation(self, keys: Sequence[str]) -> None:
        """After the writer committed: bump and drop each key again, clear its mark."""
        ...

    async def ping(self) -> None: ...
    async def stats(self, prefix: str | None = None) -> CacheStats:
        """Hits and misses of `get`; keys under `prefix` (default: every key but bookkeeping)."""
        ...

    async def close(self) -> None: ...


class InProcessCache:
    """A dict with expiry; good for one process, which is what the embedded mode runs.

    Every method runs without awaiting, so each is atomic on the event loop.
    """

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

    def _store(self, key: str, value: bytes, ttl: float | None) -> None:
        self._data[key] = (value, time.monotonic() + ttl if ttl else None)

    def _bump(self, key: str) -> None:
        generation = int(self._live(_generation_key(key)) or b"0") + 1
        self._store(_generation_key(key), str(generation).encode(), GENERATION_TTL)
        self._data.pop(key, None)

    async def get(self, key: str) -> bytes | None:
        value = self._live(key)
        if value is None:
            self._misses += 1
        else:
            self._hits += 1
        return value

    async def peek(self, key: str) -> bytes | None:
        return self._live(key)

    def read_ahead(self, *keys: str) -> None:
        """Nothing to save: every read is a dict lookup."""

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        self._store(key, value, ttl)

    async def add(self, key: str, value: bytes, *, ttl: float) -> bool:
        if self._live(key) is not None:
            return False
        self._store(key, value, ttl)
        return True

    async def replace(self, key: str, old: bytes, new: bytes) -> bool:
        if self._live(key) != old:
            return False
        self._data[key] = (new, self._data[key][1])
        return True

    async def delete(self, *keys: str) -> int:
        return sum(1 for key in keys if self._data.pop(key, None) is not None)

    async def delete_prefix(self, prefix: str) -> int:
        doomed = [key for key in self._data if key.startswith(prefix)]
        return await self.delete(*doomed)

    async def incr(self, key: str, *, ttl: float, amount: int = 1) -> int:
        current = self._live(key)
        count = int(current or b"0") + amount
        expires = self._data[key][1] if current is not None else time.monotonic() + ttl
        self._data[key] = (str(count).encode(), expires)
        return count

    async def ttl(self, key: str) -> float | None:
        if self._live(key) is None:
            return None
        expires = self._data[key][1]
        return None if expires is None else max(0.0, expires - time.monotonic())

    async def expire(self, key: str, *, ttl: float) -> None:
        current = self._live(key)
        if current is not None:
            self._data[key] = (current, time.monotonic() + ttl)

    async def fill_ticket(self, key: str) -> FillTicket:
        generation = int(self._live(_generation_key(key)) or b"0")
        return FillTicket(key, generation, self._live(_mark_key(key)) is not None)

    async def set_if_current(self, ticket: FillTicket, value: bytes, *, ttl: float) -> bool:
        if await self.fill_ticket(ticket.key) != FillTicket(ticket.key, ticket.generation, False):
            return False
        self._store(ticket.key, value, ttl)
        return True

    async def begin_invalidation(self, keys: Sequence[str], *, hold: float) -> None:
        for key in keys:
            self._store(_mark_key(key), b"1", hold)
            self._bump(key)

    async def end_invalidation(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._bump(key)
            self._data.pop(_mark_key(key), None)

    async def ping(self) -> None:
        return None

    async def stats(self, prefix: str | None = None) -> CacheStats:
        keys = sum(
            1
            for key in list(self._data)
            if (key.startswith(prefix) if prefix is not None else not key.startswith(_INTERNAL))
            and self._live(key) is not None
        )
        return CacheStats(self._hits, self._misses, keys, None)

    async def close(self) -> None:
        self._data.clear()


STATS_FLUSH_SECONDS = 5.0
"""How long a Redis cache keeps its hit and miss counts in memory before adding them up."""

# KEYS: value, generation, mark; ARGV: generation seen, value, ttl in ms.
_SET_IF_CURRENT = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""
_REPLACE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1
"""
_PIPELINE_KEYS = 500
"""Keys per MULTI when invalidating a batch: each key's steps stay atomic, a chunk bounded."""


class RedisCache:
    """Keys live under `<namespace>:` so both networks may share one Redis in development."""

    def __init__(
        self, redis: Redis, namespace: str, *, count_every: float = STATS_FLUSH_SECONDS
    ) -> None:
        self.redis = redis
        self._prefix = f"{namespace}:"
        self._stats_key = f"{namespace}:_stats"
        # Hits and misses are summed in Redis (so every replica reports the same figures) a
        # few seconds at a time: counting in the read's own round trip (a script) cost the
        # cached read a tenth of its time.
        self._tally: Tally[str] = Tally(self._add_counts, every=count_every)
        self._set_if_current = redis.register_script(_SET_IF_CURRENT)
        self._replace = redis.register_script(_REPLACE)

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def get(self, key: str) -> bytes | None:
        value = await self._read(key)
        self._tally.count("misses" if value is None else "hits")
        return value

    def read_ahead(self, *keys: str) -> None:
        ahead = _read_ahead.get()
        if ahead is not None:
            for key in keys:
                ahead.setdefault(self._key(key), _Ahead.UNREAD)

    async def _read(self, key: str) -> bytes | None:
        full = self._key(key)
        ahead = _read_ahead.get()
        if ahead:
            found = ahead.pop(full, _Ahead.UNREAD)
            if found is not _Ahead.UNREAD:
                return found
            unread = [name for name, value in ahead.items() if value is _Ahead.UNREAD]
            if unread:
                first, *values = await self.redis.mget([full, *unread])
                ahead.update(zip(unread, values, strict=True))
                return first  # type: ignore[no-any-return]
        value: bytes | None = await self.redis.get(full)
        return value

    @staticmethod
    def _written() -> None:
        """A write may change what was read ahead: from now on, this request reads afresh."""
        ahead = _read_ahead.get()
        if ahead:
            ahead.clear()

    async def _add_counts(self, counts: Counter[str]) -> None:
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for name, amount in counts.items():
                    pipe.hincrby(self._stats_key, name, amount)
                await pipe.execute()
        except RedisError:
            # Kept for the next try: statistics must never fail a read.
            self._tally.counts.update(counts)

    async def peek(self, key: str) -> bytes | None:
        return await self._read(key)

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        self._written()
        await self.redis.set(self._key(key), value, px=int(ttl * 1000) if ttl else None)

    async def add(self, key: str, value: bytes, *, ttl: float) -> bool:
        self._written()
        return bool(await self.redis.set(self._key(key), value, px=int(ttl * 1000), nx=True))

    async def replace(self, key: str, old: bytes, new: bytes) -> bool:
        self._written()
        return bool(await self._replace(keys=[self._key(key)], args=[old, new]))

    async def delete(self, *keys: str) -> int:
        self._written()
        if not keys:
            return 0
        return int(await self.redis.delete(*(self._key(key) for key in keys)))

    async def delete_prefix(self, prefix: str) -> int:
        self._written()
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

    async def incr(self, key: str, *, ttl: float, amount: int = 1) -> int:
        self._written()
        full = self._key(key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(full, amount)
            pipe.pexpire(full, int(ttl * 1000), nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def ttl(self, key: str) -> float | None:
        millis = int(await self.redis.pttl(self._key(key)))
        return None if millis < 0 else millis / 1000

    async def expire(self, key: str, *, ttl: float) -> None:
        self._written()
        await self.redis.pexpire(self._key(key), int(ttl * 1000))

    async def fill_ticket(self, key: str) -> FillTicket:
        generation, mark = await self.redis.mget(
            self._key(_generation_key(key)), self._key(_mark_key(key))
        )
        return FillTicket(key, int(generation or 0), mark is not None)

    async def set_if_current(self, ticket: FillTicket, value: bytes, *, ttl: float) -> bool:
        self._written()
        key = ticket.key
        keys = [self._key(key), self._key(_generation_key(key)), self._key(_mark_key(key))]
        args: list[bytes | str | int] = [str(ticket.generation), value, max(1, int(ttl * 1000))]
        return bool(await self._set_if_current(keys=keys, args=args))

    async def _invalidate(self, keys: Sequence[str], *, hold: float | None) -> None:
        self._written()
        generation_ttl = int(GENERATION_TTL * 1000)
        for start in range(0, len(keys), _PIPELINE_KEYS):
            async with self.redis.pipeline(transaction=True) as pipe:
                for key in keys[start : start + _PIPELINE_KEYS]:
                    mark = self._key(_mark_key(key))
                    if hold is None:
                        pipe.delete(mark)
                    else:
                        pipe.set(mark, b"1", px=max(1, int(hold * 1000)))
                    generation = self._key(_generation_key(key))
                    pipe.incr(generation)
                    pipe.pexpire(generation, generation_ttl)
                    pipe.delete(self._key(key))
                await pipe.execute()

    async def begin_invalidation(self, keys: Sequence[str], *, hold: float) -> None:
        await self._invalidate(keys, hold=hold)

    async def end_invalidation(self, keys: Sequence[str]) -> None:
        await self._invalidate(keys, hold=None)

    async def ping(self) -> None:
        await self.redis.ping()

    async def stats(self, prefix: str | None = None) -> CacheStats:
        """Other replicas' last few seconds of reads may not be counted yet."""
        await self._tally.flush()
        counters = await self.redis.hgetall(self._stats_key)  # type: ignore[misc]
        internal = self._prefix + _INTERNAL
        keys = 0
        match = self._prefix + (prefix or "") + "*"
        async for key in self.redis.scan_iter(match=match, count=1000):
            name = key.decode() if isinstance(key, bytes) else key
            if prefix is not None or not name.startswith(internal):
                keys += 1
        info = await self.redis.info("memory")
        return CacheStats(
            hits=int(counters.get(b"hits", 0)),
            misses=int(counters.get(b"misses", 0)),
            keys=keys,
            memory_bytes=int(info.get("used_memory", 0)) or None,
        )

    async def close(self) -> None:
        await self._tally.close()
        await self.redis.aclose()


class _HiredisPacking:
    """Commands packed by hiredis, as redis-py's synchronous client does when it is installed,
    and a checkout that looks at what was read instead of waiting a loop turn for more.

    The asyncio client packs them in Python: 11 us for the rate limiter's eight-argument
    `EVALSHA`, 2.8 us for a `GET`, against 1.8 us and 0.5 us here, on every command the API
    sends. Mixed into whichever connection class the URL chose (TCP, TLS, Unix socket).
    """

    _parser: object

    async def can_read_destructive(self) -> bool:
        # The pool asks this at every checkout: is anything left to read (a reply nobody
        # read, an end of stream)? redis-py reads under a zero timeout, which costs a loop
        # turn and a timer (11 us of a GET's 80). What the loop has received is in the
        # stream's buffer already; only when something is there does redis-py's way run.
        stream = getattr(self._parser, "_stream", None)
        buffered = getattr(stream, "_buffer", None)
        if (
            isinstance(stream, asyncio.StreamReader)
            and buffered is not None
            and not buffered
            and not stream.at_eof()
            and stream.exception() is None
            and getattr(self._parser, "_connected", False)
        ):
            return False
        answer: bool = await super().can_read_destructive()  # type: ignore[misc]
        return answer

    def pack_command(self, *args: EncodableT) -> list[bytes]:
        command = args[0]
        # As redis-py does: a command of several words ('CONFIG GET') is sent word by word.
        if isinstance(command, str):
            args = (*command.encode().split(), *args[1:])
        elif isinstance(command, bytes) and b" " in command:
            args = (*command.split(), *args[1:])
        try:
            # The stub types a one-item tuple; any number of items is what it takes.
            return [hiredis.pack_command(args)]  # type: ignore[arg-type]
        except TypeError as exc:  # None, a bool, an object: what redis-py's encoder refuses
            raise DataError(str(exc)) from exc


_PACKING: dict[type[AbstractConnection], type[AbstractConnection]] = {}


def _hiredis_packing(base: type[AbstractConnection]) -> type[AbstractConnection]:
    if base not in _PACKING:
        _PACKING[base] = type(f"Hiredis{base.__name__}", (_HiredisPacking, base), {})
    return _PACKING[base]


def connect_redis(url: str) -> Redis:
    """The client the API processes share (cache, rate limits, revocations)."""
    client: Redis = Redis.from_url(
        url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30
    )
    # Swapped before the pool opens its first connection; the URL chose the class.
    pool = client.connection_pool
    pool.connection_class = _hiredis_packing(pool.connection_class)
    return client
