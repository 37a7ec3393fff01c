"""Rate limits over several windows at once, on the `limits` library's moving window.

In-process storage in the embedded mode, Redis in production; either way each window's check
and count is one atomic step (a lock in process, a Lua script in Redis), so racing callers
never get more than the hard limit between them.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class Window:
    """`hard` admissions per `seconds`; past `soft` the caller is only warned."""

    name: str
    seconds: int
    hard: int
    soft: int | None = None


@dataclass(frozen=True)
class WindowUsage:
    window: Window
    remaining: int
    reset_after: int
    """Seconds until one more admission is possible (0 when there is room now)."""

    @property
    def used(self) -> int:
        return self.window.hard - self.remaining

    @property
    def past_soft(self) -> bool:
        return self.window.soft is not None and self.used > self.window.soft


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    usage: tuple[WindowUsage, ...]
    refused_by: Window | None = None

    @property
    def warnings(self) -> list[str]:
        return [item.window.name for item in self.usage if item.past_soft]

    @property
    def tightest(self) -> WindowUsage | None:
        """The refusing window, else the one with the least room left (the shorter on a tie)."""
        if self.refused_by is not None:
            return next(item for item in self.usage if item.window == self.refused_by)
        if not self.usage:
            return None
        return min(self.usage, key=lambda item: (item.remaining, item.window.seconds))

    @property
    def retry_after(self) -> int:
        tightest = self.tightest
        return max(1, tightest.reset_after) if tightest is not None else 1

    def headers(self) -> dict[str, str]:
        """IETF httpapi `RateLimit-Policy` / `RateLimit`, the older trio, warnings, Retry-After."""
        tightest = self.tightest
        if tightest is None:
            return {}
        name, remaining, reset = tightest.window.name, tightest.remaining, tightest.reset_after
        headers = {
            "RateLimit-Policy": ", ".join(
                f'"{item.window.name}";q={item.window.hard};w={item.window.seconds}'
                for item in self.usage
            ),
            "RateLimit": f'"{name}";r={remaining};t={reset}',
            "RateLimit-Limit": str(tightest.window.hard),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
        }
        if self.warnings:
            headers["X-RateLimit-Warning"] = ", ".join(self.warnings)
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


async def _same(usage: WindowUsage) -> WindowUsage:
    return usage


class RateLimiter:
    """Counts admissions per subject in every window it is given; built once per app."""

    def __init__(self, storage: Storage, namespace: str) -> None:
        self._storage = storage
        self._strategy = MovingWindowRateLimiter(storage)
        self._namespace = namespace

    async def hit(self, subject: str, windows: Sequence[Window]) -> RateDecision:
        """Admit one more for `subject` if every window has room.

        Two parallel rounds, not one call per window in turn (a check costs two Redis round
        trips whatever the number of windows): read every window; if one is full, refuse
        without counting anything (a refused attempt must not eat a longer window's quota);
        else count in every window. Each count is atomic and can still refuse when racing
        callers took the last room in between: then the other windows keep that count (the
        limiter errs on the side of admitting fewer, never more).
        """
        ordered = sorted(windows, key=lambda window: window.seconds)
        before = await asyncio.gather(*(self._usage(subject, window) for window in ordered))
        full = next((usage.window for usage in before if usage.remaining <= 0), None)
        if full is not None:
            return RateDecision(False, tuple(before), full)
        admitted = await asyncio.gather(
            *(self._strategy.hit(self._item(w), self._namespace, subject) for w in ordered)
        )
        refused_by = next((w for w, ok in zip(ordered, admitted, strict=True) if not ok), None)
        if refused_by is not None:
            usage = await asyncio.gather(*(self._usage(subject, window) for window in ordered))
            return RateDecision(False, tuple(usage), refused_by)
        # Our own admission is counted; others racing may have taken more (headers are advice).
        # A window we just filled is read again: its reset time is its oldest entry's expiry.
        after = await asyncio.gather(
            *(
                self._usage(subject, item.window)
                if item.remaining <= 1
                else _same(WindowUsage(item.window, item.remaining - 1, 0))
                for item in before
            )
        )
        return RateDecision(True, tuple(after), None)

    async def _usage(self, subject: str, window: Window) -> WindowUsage:
        stats = await self._strategy.get_window_stats(self._item(window), self._namespace, subject)
        remaining = max(0, stats.remaining)
        reset_after = 0 if remaining else max(0, math.ceil(stats.reset_time - time.time()))
        return WindowUsage(window, remaining, reset_after)

    @staticmethod
    def _item(window: Window) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(window.hard, window.seconds, namespace=window.name)

    async def reset(self) -> None:
        await self._storage.reset()


def build_rate_limiter(
    *, namespace: str, redis_url: str | None, connection_pool: Any = None
) -> RateLimiter:
    """In-process storage without `redis_url`; else Redis (redis-py, sharing `connection_pool`)."""
    if redis_url is None:
        return RateLimiter(MemoryStorage(), namespace)
    options: dict[str, Any] = {}
    if connection_pool is not None:
        options["connection_pool"] = connection_pool
    scheme, _, rest = redis_url.partition("://")
    uri = f"async+redis+unix://{rest}" if scheme == "unix" else f"async+{redis_url}"
    storage = RedisStorage(
        uri,
        implementation="redispy",
        key_prefix=f"{namespace}:ratelimit",
        **options,
    )
    return RateLimiter(storage, namespace)
