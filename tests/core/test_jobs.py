"""The in-process runner runs the same job functions Celery runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.jobs import InProcessRunner, JobRegistry
from core.logging import bind_request_id


async def test_enqueued_jobs_run_with_the_request_id_and_survive_failures() -> None:
    registry = JobRegistry("t")
    seen: list[tuple[str, int, str | None]] = []

    @registry.job("record")
    async def record(runtime: str, *, n: int) -> None:
        from core.logging import current_request_id

        seen.append((runtime, n, current_request_id()))

    @registry.job("explode")
    async def explode(runtime: str) -> None:
        raise RuntimeError("job failed")

    runner = InProcessRunner(registry, "rt")
    await runner.start()
    with bind_request_id("req-9"):
        await runner.enqueue("explode")
        await runner.enqueue("record", n=1)
    await runner.enqueue("t.record", n=2)
    await runner.drain()
    await runner.stop()
    assert seen == [("rt", 1, "req-9"), ("rt", 2, None)]


async def test_scheduled_jobs_tick_until_stopped() -> None:
    registry = JobRegistry("t")
    ticks: list[int] = []

    @registry.job("tick", every=0.05)
    async def tick(runtime: object) -> None:
        ticks.append(1)

    runner = InProcessRunner(registry, object())
    await runner.start()
    await asyncio.sleep(0.3)
    await runner.stop()
    count = len(ticks)
    await asyncio.sleep(0.1)
    assert count >= 3
    assert len(ticks) == count


async def test_unknown_and_duplicate_jobs_are_refused() -> None:
    registry = JobRegistry("t")

    @registry.job("one")
    async def one(runtime: object) -> None: ...

    with pytest.raises(ValueError, match="twice"):
        registry.job("one")(one)
    runner = InProcessRunner(registry, object())
    with pytest.raises(KeyError, match="unknown job"):
        await runner.enqueue("two")


async def test_a_watched_directory_triggers_its_job_at_once(tmp_path: Path) -> None:
    registry = JobRegistry("t")
    seen = asyncio.Event()

    @registry.job("on_arrival")
    async def on_arrival(runtime: Path) -> None:
        if any(runtime.iterdir()):
            seen.set()

    registry.on_new_files("on_arrival", lambda runtime: runtime)
    runner = InProcessRunner(registry, tmp_path)
    await runner.start()
    await asyncio.sleep(0.2)  # the watch is set up
    (tmp_path / "batch.tar").write_bytes(b"x")
    try:
        await asyncio.wait_for(seen.wait(), timeout=1.0)
    finally:
        await runner.stop()
