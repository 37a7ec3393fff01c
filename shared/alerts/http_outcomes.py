"""HTTP answers per minute, counted in the network's cache for the `error_rate` rule.

The evaluation runs in a Celery worker in production, where the API's in-process Prometheus
counters are out of sight; the cache (Redis there, in-process when embedded, where the API
runs the jobs itself) is shared by every API replica and the workers. One `incr` per
request, made after the answer went out, so it adds no latency.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


async def record_outcome(cache: Cache, *, status: int, at: datetime) -> None:
    outcome = "error" if status >= 500 else "ok"
    await cache.incr(_key(_minute(at), outcome), ttl=BUCKET_TTL)


async def read_outcomes(cache: Cache, *, at: datetime, window_minutes: int) -> HttpOutcomes:
    """Answers of the last `window_minutes` minutes, the current one included."""
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


class HttpOutcomeMiddleware:
    """Counts each answer as ok or error (5xx); outermost, so it sees the final status."""

    def __init__(self, app: ASGIApp, *, cache: Cache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # RequestContextMiddleware answers 500 for an unhandled error

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, remember_status)
        await self._record(status)

    async def _record(self, status: int) -> None:
        try:
            await record_outcome(self.cache, status=status, at=utcnow())
        except Exception:
            # Monitoring must never turn an answer into an error: a cache outage only
            # leaves a hole in the error-rate figures.
            log.warning("http_outcome_not_recorded", exc_info=True)
