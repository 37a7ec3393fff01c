"""Answers are counted in memory and reach the shared cache in the background, in bulk."""

from __future__ import annotations

from core.cache import InProcessCache
from core.db import utcnow
from shared.platform.alerts.http_outcomes import (
    FLUSH_SECONDS,
    count_answer,
    read_outcomes,
    tally_for,
)
from shared.platform.alerts.rules import HttpOutcomes
from tests.waiting import until


async def test_a_due_buffer_flushes_in_the_background_and_counts_every_answer() -> None:
    cache = InProcessCache("t")
    buffer = tally_for(cache)
    now = utcnow()
    for status in (200, 201, 503, 500, 404):
        count_answer(buffer, status=status, at=now)
    assert not buffer.due()  # just made: the answers wait in memory

    buffer.flushed_at -= FLUSH_SECONDS
    assert buffer.due()
    buffer.flush_soon()
    assert not buffer.due()  # one flush at a time, and not again for a while

    async def flushed() -> HttpOutcomes | None:
        outcomes = await read_outcomes(cache, at=now, window_minutes=1)
        return outcomes if outcomes.requests else None

    outcomes = await until(flushed, what="the background flush", timeout=10)
    assert (outcomes.requests, outcomes.errors) == (5, 2)
    assert buffer.counts == {}
