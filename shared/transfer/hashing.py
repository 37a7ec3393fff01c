"""The payload's SHA-256, computed in a worker thread while the reader parses.

Hashing inline took about a seventh of the reader's time. hashlib releases the GIL while it
hashes, so on a free core the checksum costs the parsing thread only a hand-over (on a core
that is not free it gains nothing and loses little). Chunks go over in groups (fewer
hand-overs, each of which may wait for the GIL), at most one group in flight, so memory
stays bounded by two groups; a small payload is hashed inline, sparing it a thread.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Self

GROUP_BYTES = 4 * 1024 * 1024
"""Bytes per hand-over to the hashing thread; a payload under two groups is hashed inline."""


class PayloadDigest:
    """`update` in order, then `hexdigest`; use as a context manager (it may own a thread)."""

    def __init__(self, expected_bytes: int) -> None:
        self._digest = hashlib.sha256()
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._in_flight: Future[None] | None = None
        self._pool = (
            ThreadPoolExecutor(1, thread_name_prefix="payload-sha256")
            if expected_bytes >= 2 * GROUP_BYTES
            else None
        )

    def update(self, chunk: bytes) -> None:
        if self._pool is None:
            self._digest.update(chunk)
            return
        self._pending.append(chunk)
        self._pending_bytes += len(chunk)
        if self._pending_bytes >= GROUP_BYTES:
            self._hand_over()

    def hexdigest(self) -> str:
        if self._pending:
            self._hand_over()
        if self._in_flight is not None:
            self._in_flight.result()
            self._in_flight = None
        return self._digest.hexdigest()

    def _hand_over(self) -> None:
        assert self._pool is not None
        group = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        if self._in_flight is not None:
            self._in_flight.result()
        self._in_flight = self._pool.submit(self._digest.update, group)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
