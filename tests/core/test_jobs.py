"""The in-process runner runs the same job functions Celery runs."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from pathlib import Path

import pytest
import structlog
from celery import Celery
from prometheus_client import CollectorRegistry
from redis import Redis as SyncRedis

from core import jobs
from core.celery_jobs import CeleryOptions, CeleryRunner, create_celery_app
from core.jobs import GivenUp, InProcessRunner, JobRegistry, watch_directory
from core.logging import bind_request_id
from core.outages import Backoff
from tests import waiting
from tests.services import RedisServer, free_port
from tests.waiting import until


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


async def test_a_scheduled_job_first_runs_at_start_not_after_its_period() -> None:
    registry = JobRegistry("t")
    ran = asyncio.Event()

    @registry.job("daily", every=86_400)
    async def daily(runtime: object) -> None:
        ran.set()

    runner = InProcessRunner(registry, object())
    await runner.start()
    try:
        await asyncio.wait_for(ran.wait(), timeout=5)
    finally:
        await runner.stop()


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
    await asyncio.sleep(0)  # the watch is in place once its task first runs
    (tmp_path / "batch.tar").write_bytes(b"x")
    try:
        await asyncio.wait_for(seen.wait(), timeout=1.0)
    finally:
        await runner.stop()


async def test_a_watch_ends_on_its_stop_event_without_being_cancelled(tmp_path: Path) -> None:
    stop, arrivals = threading.Event(), asyncio.Queue[None]()

    async def arrived() -> None:
        arrivals.put_nowait(None)

    watch = asyncio.create_task(watch_directory(tmp_path, arrived, stop))
    await asyncio.sleep(0)  # the watch is in place once its task first runs
    (tmp_path / "batch.tar").write_bytes(b"x")
    await asyncio.wait_for(arrivals.get(), timeout=5)

    stop.set()
    await asyncio.wait_for(asyncio.shield(watch), timeout=5)  # shielded: never cancelled
    assert watch.done()


async def test_stop_leaves_a_task_that_will_not_end_and_says_where_it_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = JobRegistry("t")
    started, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    @registry.job("stubborn")
    async def stubborn(runtime: object) -> None:
        started.set()
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):  # what a bug would do
                await release.wait()
        finished.set()

    monkeypatch.setattr(jobs, "STOP_GRACE_SECONDS", 0.2)
    runner = InProcessRunner(registry, object(), schedule=False)
    await runner.start()
    await runner.enqueue("stubborn")
    await asyncio.wait_for(started.wait(), timeout=5)
    with structlog.testing.capture_logs() as logs:
        await asyncio.wait_for(runner.stop(), timeout=5)
    (stuck,) = [entry for entry in logs if entry["event"] == "job_task_did_not_stop"]
    assert stuck["task"] == "jobs-consumer"
    assert [step.split()[-1] for step in stuck["waiting_at"].split(" > ")[:4]] == [
        "_consume",
        "run_job",
        "stubborn",
        "wait",
    ]

    # The task left behind, ended here: it swallowed the one cancel it was sent.
    release.set()
    await asyncio.wait_for(finished.wait(), timeout=5)
    (consumer,) = [task for task in asyncio.all_tasks() if task.get_name() == "jobs-consumer"]
    consumer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await consumer


async def test_a_burst_of_enqueues_while_a_run_waits_makes_one_run() -> None:
    """A job enqueued without arguments while the same job waits to start is that run; one
    enqueued once the run started (its work may have come after) is a run of its own."""
    registry = JobRegistry("t")
    runs: list[str] = []
    release = asyncio.Event()

    @registry.job("export")
    async def export(runtime: object) -> None:
        runs.append("export")
        await release.wait()

    runner = InProcessRunner(registry, object())
    for _ in range(20):
        await runner.enqueue("export")
    assert runner.pending == 1
    await runner.start()
    try:

        async def started() -> bool:
            return runs == ["export"]

        await waiting.until(started, what="the first run to start")
        await runner.enqueue("export")
        await runner.enqueue("export")
        release.set()
        await runner.drain()
    finally:
        await runner.stop()
    assert runs == ["export", "export"]


class _Runtime:
    """What the runners hand a job: here only the metrics registry matters."""

    def __init__(self) -> None:
        self.metrics_registry = CollectorRegistry()


async def test_job_runs_and_failures_are_counted_by_job_and_outcome() -> None:
    registry = JobRegistry("t")

    @registry.job("fine")
    async def fine(runtime: _Runtime) -> None: ...

    @registry.job("broken")
    async def broken(runtime: _Runtime) -> None:
        raise RuntimeError("job failed")

    runtime = _Runtime()
    runner = InProcessRunner(registry, runtime)
    await runner.start()
    for name in ("fine", "broken", "fine"):
        await runner.enqueue(name)
        await runner.drain()  # one at a time: enqueued together, they would be one run
    await runner.stop()

    def runs(job: str, outcome: str) -> float | None:
        labels = {"job": job, "outcome": outcome}
        return runtime.metrics_registry.get_sample_value("airlock_job_runs_total", labels)

    assert (runs("t.fine", "success"), runs("t.fine", "failure")) == (2.0, None)
    assert (runs("t.broken", "success"), runs("t.broken", "failure")) == (None, 1.0)
    durations = runtime.metrics_registry.get_sample_value(
        "airlock_job_duration_seconds_count", {"job": "t.fine"}
    )
    assert durations == 2.0


# The Celery side, run eagerly in this process (the real worker: tests/integration/test_poison.py).


def _celery_app(registry: JobRegistry, broker_url: str) -> Celery:
    async def build() -> _Runtime:
        return _Runtime()

    options = CeleryOptions(broker_url=broker_url, queue="t", max_redeliveries=1)
    return create_celery_app(registry, options, build)


def test_a_task_sent_again_after_finishing_is_not_counted_as_a_redelivery(
    redis_server: RedisServer,
) -> None:
    """Only deliveries that never finished count: a finished run forgets its count."""
    registry = JobRegistry("t")
    ran: list[int] = []
    given_up: list[GivenUp] = []

    @registry.job("record")
    async def record(runtime: _Runtime) -> None:
        ran.append(1)

    async def note(runtime: object, task: GivenUp) -> None:
        given_up.append(task)

    registry.on_given_up(note)
    task = _celery_app(registry, redis_server.url(5)).tasks["t.record"]

    for _ in range(4):
        task.apply(task_id="one-task-id")

    assert (len(ran), given_up) == (4, [])


def test_a_task_still_runs_when_redis_cannot_count_its_deliveries() -> None:
    registry = JobRegistry("t")
    ran: list[int] = []

    @registry.job("record")
    async def record(runtime: _Runtime) -> None:
        ran.append(1)

    task = _celery_app(registry, f"redis://127.0.0.1:{free_port()}/0").tasks["t.record"]

    task.apply()

    assert ran == [1]


def test_celery_sends_one_message_for_a_burst_until_a_worker_starts_it(
    redis_server: RedisServer,
) -> None:
    registry = JobRegistry("t")
    ran: list[int] = []

    @registry.job("export")
    async def export(runtime: _Runtime) -> None:
        ran.append(1)

    url = redis_server.url(6)
    redis = SyncRedis.from_url(url)
    redis.flushdb()
    app = _celery_app(registry, url)
    runner = CeleryRunner(app, registry)

    def enqueue(times: int) -> None:
        for _ in range(times):
            asyncio.run(runner.enqueue("export"))

    enqueue(5)
    burst = redis.llen("t")
    app.tasks["t.export"].apply()  # a worker starts the job: its mark is dropped
    enqueue(2)
    after_start = redis.llen("t")
    redis.close()
    assert (burst, ran, after_start) == (1, [1], 2)


async def test_celery_enqueues_that_arrive_together_share_one_mark_and_one_message(
    redis_server: RedisServer,
) -> None:
    """Fifty submissions committing at once cost one Redis command between them, not fifty;
    one caller going away (a cancelled request) does not take the others' message with it."""
    registry = JobRegistry("t")

    @registry.job("export")
    async def export(runtime: _Runtime) -> None: ...

    url = redis_server.url(8)
    redis = SyncRedis.from_url(url)
    redis.flushdb()
    redis.config_resetstat()
    runner = CeleryRunner(_celery_app(registry, url), registry)
    try:
        callers = [asyncio.create_task(runner.enqueue("export")) for _ in range(50)]
        await asyncio.sleep(0)  # every caller has joined the group; the first goes away
        callers[0].cancel()
        outcomes = await asyncio.gather(*callers, return_exceptions=True)
        stats = redis.info("commandstats")
        assert isinstance(stats, dict)
        assert (stats["cmdstat_set"]["calls"], redis.llen("t")) == (1, 1)
        assert [type(outcome) for outcome in outcomes[:2]] == [asyncio.CancelledError, type(None)]
    finally:
        await runner.stop()
        redis.close()


async def test_an_api_process_on_celery_sends_the_job_of_a_watched_directory(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """Production: the API process watches the inbox and sends the import to the workers."""
    registry = JobRegistry("t")

    @registry.job("on_arrival")
    async def on_arrival(runtime: Path) -> None: ...

    registry.on_new_files("on_arrival", lambda runtime: runtime)
    url = redis_server.url(7)
    redis = SyncRedis.from_url(url)
    redis.flushdb()
    runner = CeleryRunner(_celery_app(registry, url), registry, runtime=tmp_path, watch=True)
    await runner.start()
    try:
        assert redis.llen("t") == 0
        # The watch is in place once its task first runs: this first await lets it.
        await asyncio.to_thread((tmp_path / ".batch.tar.tmp").write_bytes, b"x")
        await asyncio.to_thread((tmp_path / ".batch.tar.tmp").rename, tmp_path / "batch.tar")

        async def sent() -> bool:
            return bool(redis.llen("t"))

        await waiting.until(sent, what="the job's message on the queue", timeout=5)
    finally:
        await runner.stop()
        redis.close()


def test_a_celery_task_failing_on_an_outage_is_retried_a_bug_or_a_tick_is_not(
    redis_server: RedisServer,
) -> None:
    """Run eagerly (`apply`), a retry runs at once; on a worker it waits the backoff."""
    registry = JobRegistry("t")
    runs = {"down": 0, "bug": 0, "tick": 0}

    @registry.job("down")
    async def down(runtime: _Runtime) -> None:
        runs["down"] += 1
        if runs["down"] < 3:
            raise ConnectionRefusedError("the database refuses connections")

    @registry.job("bug")
    async def bug(runtime: _Runtime) -> None:
        runs["bug"] += 1
        raise ValueError("bad data: running it again changes nothing")

    @registry.job("tick", every=60)
    async def tick(runtime: _Runtime) -> None:
        runs["tick"] += 1  # beat's next tick is its retry
        raise ConnectionRefusedError("the database refuses connections")

    app = _celery_app(registry, redis_server.url(5))
    for name in runs:
        app.tasks[f"t.{name}"].apply()

    assert runs == {"down": 3, "bug": 1, "tick": 1}


async def test_a_scheduled_job_failing_on_an_outage_backs_off_before_its_next_run() -> None:
    registry = JobRegistry("t")
    started: list[float] = []

    @registry.job("tick", every=0.01)
    async def tick(runtime: object) -> None:
        started.append(time.monotonic())
        if len(started) <= 2:
            raise ConnectionRefusedError("the database refuses connections")

    runner = InProcessRunner(registry, object(), backoff=Backoff(first=0.1, most=1.0))
    await runner.start()
    try:
        await until(lambda: _at_least(started, 3), what="three runs of the tick")
    finally:
        await runner.stop()

    gaps = [later - earlier for earlier, later in itertools.pairwise(started)]
    assert gaps[0] >= 0.1  # not its 0.01 s period: the first retry's delay
    assert gaps[1] >= 0.2  # doubled


async def _at_least(items: list[float], count: int) -> bool:
    return len(items) >= count
