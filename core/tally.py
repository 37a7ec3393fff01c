"""Counts kept in memory and added to a shared store every few seconds, in the background.

For figures every replica must agree on (cache hits and misses, HTTP answers per minute)
that a request must not wait for: adding them in the request's own round trip, or even
after its answer went out, held up the next request on its connection.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Tally(Generic[K]):
    """Counts by key; `add` receives them every `every` seconds and on `flush`.

    `add` handles its own failures: it may put the counts back (`counts.update`) for the
    next try, or drop them.
    """

    def __init__(self, add: Callable[[Counter[K]], Awaitable[None]], *, every: float) -> None:
        self.counts: Counter[K] = Counter()
        self.every = every
        self.flushed_at = time.monotonic()
        self._add = add
        self._flushing: asyncio.Task[None] | None = None

    def count(self, key: K, amount: int = 1) -> None:
        self.counts[key] += amount
        if self.due():
            self.flush_soon()

    def due(self) -> bool:
        idle = self._flushing is None or self._flushing.done()
        return idle and time.monotonic() - self.flushed_at >= self.every

    def flush_soon(self) -> None:
        """Flush in a background task (kept here, so it is not collected mid-flight)."""
        self.flushed_at = time.monotonic()
        self._flushing = asyncio.create_task(self.flush())

    async def flush(self) -> None:
        counts, self.counts = self.counts, Counter()
        if counts:
            await self._add(counts)

    async def close(self) -> None:
        """Wait for a flush under way, then add what is left."""
        if self._flushing is not None:
            await self._flushing
        await self.flush()
