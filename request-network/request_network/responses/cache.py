"""The response cache: each request's rendered answer, read through with one load per miss.

An entry holds everything the hit path needs to answer without the database: the owner (for
the access check), whether the owner's next read delivers it, and the JSON bytes to send.
Entries are stored with the cache's guarded fills, so an import that changes an answer never
leaves the older one readable once it committed (see `Cache` in `core.cache`).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.ext.asyncio import AsyncSession

from core.cache import UNREACHABLE, Cache, CacheStats
from core.db import after_commit

log = structlog.get_logger(__name__)

KEY_PREFIX = "response:"
_FORMAT = 1
_HEADER = struct.Struct(">B16sI?")
"""Format, owner id, answer number, deliverable; the JSON body follows."""
_DELETE_CHUNK = 1000

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


def answer_key(request_id: uuid.UUID) -> str:
    return f"{KEY_PREFIX}{request_id}"


@dataclass(frozen=True)
class CachedAnswer:
    owner_id: uuid.UUID
    answer_number: int
    deliverable: bool
    """Answered and not read by its owner yet: the owner's next read delivers it."""
    body: bytes
    """The JSON `GET /requests/{id}/response` sends, rendered once."""

    def encode(self) -> bytes:
        header = _HEADER.pack(_FORMAT, self.owner_id.bytes, self.answer_number, self.deliverable)
        return header + self.body

    @classmethod
    def decode(cls, raw: bytes) -> CachedAnswer | None:
        """None for an entry of another format (a rolling upgrade): read as a miss."""
        if len(raw) < _HEADER.size or raw[0] != _FORMAT:
            return None
        _format, owner, number, deliverable = _HEADER.unpack_from(raw)
        return cls(uuid.UUID(bytes=owner), number, deliverable, raw[_HEADER.size :])


@dataclass(frozen=True)
class Fill(Generic[T_co]):
    """What a loader found, and the entry to cache for it (None: cache nothing)."""

    result: T_co
    entry: CachedAnswer | None = None


@dataclass(frozen=True)
class _Flight:
    value: object = None
    error: Exception | None = None
    retry: bool = False
    """The loading caller was cancelled: the waiters load again."""


class ResponseCacheMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.hits = Counter(
            "airlock_response_cache_hits_total",
            "Answer reads served from the cache.",
            registry=registry,
        )
        self.misses = Counter(
            "airlock_response_cache_misses_total",
            "Answer reads that missed the cache.",
            registry=registry,
        )
        self.loads = Counter(
            "airlock_response_cache_loads_total",
            "Answers loaded from the database after a miss (concurrent misses load once).",
            registry=registry,
        )


class ResponseCache:
    def __init__(
        self,
        cache: Cache,
        *,
        ttl: float,
        hold: float,
        fill_wait: float,
        metrics: ResponseCacheMetrics,
        lock_ttl: float = 5.0,
        poll: float = 0.01,
    ) -> None:
        self._cache = cache
        self._ttl = ttl
        self._hold = hold
        self._fill_wait = fill_wait
        self._lock_ttl = lock_ttl
        self._poll = poll
        self.metrics = metrics
        self._flights: dict[uuid.UUID, asyncio.Future[_Flight]] = {}

    def read_ahead(self, request_id: uuid.UUID) -> None:
        """Read the entry in the round trip of the request's next cache read (the token's
        revocation, on Redis): the `lookup` after it needs none of its own."""
        self._cache.read_ahead(answer_key(request_id))

    async def lookup(self, request_id: uuid.UUID) -> CachedAnswer | None:
        """The cached entry; None on a miss, and while the cache is unreachable (the reader
        then loads from the database, which answers every read until the cache is back)."""
        try:
            raw = await self._cache.get(answer_key(request_id))
        except UNREACHABLE as exc:
            log.warning("response_cache_unreachable", error=type(exc).__name__)
            raw = None
        entry = CachedAnswer.decode(raw) if raw is not None else None
        (self.metrics.hits if entry is not None else self.metrics.misses).inc()
        return entry

    async def load(
        self, request_id: uuid.UUID, loader: Callable[[], Awaitable[Fill[T]]]
    ) -> T | CachedAnswer:
        """Load after a miss; concurrent callers for one request share one load.

        In this process the first caller loads and the others await its result. Across
        processes a short lock in the cache lets one load while the others wait up to
        `fill_wait` for the value it stores, then load themselves. The loader's entry is
        stored only if no import touched the answer since before the load began.
        """
        while (flight := self._flights.get(request_id)) is not None:
            # Shielded: a waiter that gives up must not cancel the load the others await.
            outcome = await asyncio.shield(flight)
            if outcome.retry:
                continue
            if outcome.error is not None:
                raise outcome.error
            return outcome.value  # type: ignore[return-value]
        future: asyncio.Future[_Flight] = asyncio.get_running_loop().create_future()
        self._flights[request_id] = future
        try:
            value = await self._fill(request_id, loader)
        except asyncio.CancelledError:
            future.set_result(_Flight(retry=True))
            raise
        except Exception as error:
            future.set_result(_Flight(error=error))
            raise
        finally:
            del self._flights[request_id]
        future.set_result(_Flight(value=value))
        return value

    async def _fill(
        self, request_id: uuid.UUID, loader: Callable[[], Awaitable[Fill[T]]]
    ) -> T | CachedAnswer:
        key = answer_key(request_id)
        lock = f"_fill:{key}"
        try:
            locked = await self._cache.add(lock, b"1", ttl=self._lock_ttl)
        except UNREACHABLE:
            # No cache: the database answers, and nothing is stored (nor could be).
            return (await loader()).result
        try:
            if not locked:
                filled = await self._wait_for(key)
                if filled is not None:
                    return filled
            # The ticket is read before the database: a commit after it changes the ticket.
            ticket = await self._cache.fill_ticket(key)
            fill = await loader()
            self.metrics.loads.inc()
            if fill.entry is not None and not ticket.blocked:
                await self._cache.set_if_current(ticket, fill.entry.encode(), ttl=self._ttl)
            return fill.result
        finally:
            if locked:
                # A lock left by a cache that went away expires with its short TTL.
                with contextlib.suppress(*UNREACHABLE):
                    await self._cache.delete(lock)

    async def _wait_for(self, key: str) -> CachedAnswer | None:
        deadline = time.monotonic() + self._fill_wait
        while time.monotonic() < deadline:
            await asyncio.sleep(self._poll)
            raw = await self._cache.peek(key)
            if raw is not None:
                return CachedAnswer.decode(raw)
        return None

    async def swap(self, request_id: uuid.UUID, old: CachedAnswer, new: CachedAnswer) -> bool:
        """Replace the entry only if it still is `old` (an import may have dropped it); False
        too while the cache is unreachable (the database already holds the delivery)."""
        try:
            return await self._cache.replace(answer_key(request_id), old.encode(), new.encode())
        except UNREACHABLE:
            return False

    async def invalidate(self, *, session: AsyncSession, request_ids: Sequence[uuid.UUID]) -> None:
        """Drop these answers for a writer in `session`'s transaction, now and after commit.

        Until the commit, readers serve what they load but cache none of it; after it, an
        entry loaded before the commit can no longer be stored.
        """
        keys = [answer_key(request_id) for request_id in request_ids]
        if not keys:
            return
        await self._cache.begin_invalidation(keys, hold=self._hold)

        async def end() -> None:
            await self._cache.end_invalidation(keys)

        after_commit(session, end)

    async def clear(self) -> int:
        """Drop every cached answer; returns how many there were."""
        return await self._cache.delete_prefix(KEY_PREFIX)

    async def forget(self, request_ids: Sequence[uuid.UUID]) -> int:
        deleted = 0
        for start in range(0, len(request_ids), _DELETE_CHUNK):
            chunk = request_ids[start : start + _DELETE_CHUNK]
            deleted += await self._cache.delete(*(answer_key(request_id) for request_id in chunk))
        return deleted

    async def stats(self) -> CacheStats:
        return await self._cache.stats(KEY_PREFIX)
