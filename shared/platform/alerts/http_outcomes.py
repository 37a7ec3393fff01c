"""HTTP answers per minute, counted in the network's cache for the `error_rate` rule.

The evaluation runs in a Celery worker in production, where the API's in-process Prometheus
counters are out of sight; the cache (Redis there, in-process when embedded, where the API
runs the jobs itself) is shared by every API replica and the workers. Answers are counted
in memory and added to the cache every few seconds in the background: an `incr` per request,
even after the answer went out, held up the next request on a keep-alive connection.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog

from core.cache import Cache
from core.db import utcnow
from core.tally import Tally
from shared.platform.alerts.rules import HttpOutcomes

log = structlog.get_logger(__name__)

KEY_PREFIX = "alerts:http:"
BUCKET_TTL = 62 * 60.0
"""A minute's counters outlive the longest window the settings allow (60 minutes)."""


def _minute(at: datetime) -> int:
    return int(at.timestamp()) // 60


def _key(minute: int, outcome: str) -> str:
    return f"{KEY_PREFIX}{minute}:{outcome}"


FLUSH_SECONDS = 5.0

Outcome = tuple[int, str]
"""A minute and `ok` or `error`."""


def count_answer(tally: Tally[Outcome], *, status: int, at: datetime) -> None:
    tally.count((_minute(at), "error" if status >= 500 else "ok"))


def _adder(cache: Cache) -> Callable[[Counter[Outcome]], Awaitable[None]]:
    # Weak: the tally is the value of a weak-keyed map on `cache`, which it must not keep.
    cache_ref = weakref.ref(cache)

    async def add(counts: Counter[Outcome]) -> None:
        live = cache_ref()
        if live is None:
            return
        try:
            for (minute, outcome), amount in counts.items():
                await live.incr(_key(minute, outcome), ttl=BUCKET_TTL, amount=amount)
        except Exception:
            # Monitoring must never turn an answer into an error: a cache outage only
            # leaves a hole in the error-rate figures.
            log.warning("http_outcomes_not_recorded", exc_info=True)

    return add


_tallies: weakref.WeakKeyDictionary[Cache, Tally[Outcome]] = weakref.WeakKeyDictionary()


def tally_for(cache: Cache) -> Tally[Outcome]:
    """This process's answers not yet added to `cache`, by minute and outcome."""
    found = _tallies.get(cache)
    if found is None:
        found = _tallies[cache] = Tally(_adder(cache), every=FLUSH_SECONDS)
    return found


async def read_outcomes(cache: Cache, *, at: datetime, window_minutes: int) -> HttpOutcomes:
    """Answers of the last `window_minutes` minutes, the current one included (this
    process's unflushed answers are added first)."""
    await tally_for(cache).flush()
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
    tally = tally_for(cache)

    def observe(status: int) -> None:
        count_answer(tally, status=status, at=utcnow())

    return observe
