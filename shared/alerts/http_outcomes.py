"""HTTP answers per minute, counted in the network's cache for the `error_rate` rule.

The evaluation runs in a Celery worker in production, where the API's in-process Prometheus
counters are out of sight; the cache (Redis there, in-process when embedded, where the API
runs the jobs itself) is shared by every API replica and the workers. Answers are counted
in memory and added to the cache every few seconds in the background: an `incr` per request,
even after the answer went out, held up the next request on a keep-alive connection.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import Counter
from collections.abc import Callable
from datetime import datetime

import structlog

from core.cache import Cache
from core.db import utcnow
from shared.alerts.rules import HttpOutcomes

log = structlog.get_logger(__name__)

KEY_PREFIX = "alerts:http:"
BUCKET_TTL = 62 * 60.0
"""A minute's counters outlive the longest window the settings allow (60 minutes)."""


def _minute(at: datetime) -> int:
    return int(at.timestamp()) // 60


def _key(minute: int, outcome: str) -> str:
    return f"{KEY_PREFIX}{minute}:{outcome}"


FLUSH_SECONDS = 5.0


class OutcomeBuffer:
    """This process's answers not yet added to the cache, by minute and outcome."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[int, str]] = Counter()
        self.flushed_at = time.monotonic()
        self._flushing: asyncio.Task[None] | None = None

    def add(self, *, status: int, at: datetime) -> None:
        self.counts[(_minute(at), "error" if status >= 500 else "ok")] += 1

    def due(self) -> bool:
        idle = self._flushing is None or self._flushing.done()
        return idle and time.monotonic() - self.flushed_at >= FLUSH_SECONDS

    def flush_soon(self, cache: Cache) -> None:
        """Flush in a background task (kept here, so it is not collected mid-flight)."""
        self.flushed_at = time.monotonic()
        self._flushing = asyncio.create_task(self.flush(cache))

    async def flush(self, cache: Cache) -> None:
        counts, self.counts = self.counts, Counter()
        try:
            for (minute, outcome), amount in counts.items():
                await cache.incr(_key(minute, outcome), ttl=BUCKET_TTL, amount=amount)
        except Exception:
            # Monitoring must never turn an answer into an error: a cache outage only
            # leaves a hole in the error-rate figures.
            log.warning("http_outcomes_not_recorded", exc_info=True)


_buffers: weakref.WeakKeyDictionary[Cache, OutcomeBuffer] = weakref.WeakKeyDictionary()


def buffer_for(cache: Cache) -> OutcomeBuffer:
    found = _buffers.get(cache)
    if found is None:
        found = _buffers[cache] = OutcomeBuffer()
    return found


async def read_outcomes(cache: Cache, *, at: datetime, window_minutes: int) -> HttpOutcomes:
    """Answers of the last `window_minutes` minutes, the current one included (this
    process's unflushed answers are added first)."""
    await buffer_for(cache).flush(cache)
    last = _minute(at)
    counts = {"ok": 0, "error": 0}
    for minute in range(last - window_minutes + 1, last + 1):
        for outcome in counts:
            value = await cache.peek(_key(minute, outcome))
            counts[outcome] += int(value or b"0")
    return HttpOutcomes(
        requests=counts["ok"] + counts["error"],
        errors=counts["error"],
        window_minutes=window_minutes,
    )


def outcome_observer(cache: Cache) -> Callable[[int], None]:
    """Counts each answer as ok or error (5xx) for `error_rate`; an `AnswerObserver`."""
    buffer = buffer_for(cache)

    def observe(status: int) -> None:
        buffer.add(status=status, at=utcnow())
        if buffer.due():
            buffer.flush_soon(cache)

    return observe
