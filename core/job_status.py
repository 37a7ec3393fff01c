"""The tasks overview: each job with its schedule and last runs, the queue, the workers.

Answers within about `inspect_timeout` seconds whatever the workers do: Celery's `inspect`
is a broadcast that waits its whole timeout for replies, so it runs off the event loop, its
two questions at once, under a deadline of its own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from celery import Celery
from kombu.transport.redis import Channel as RedisChannel
from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.cache import Cache
from core.celery_jobs import CeleryRunner
from core.job_runs import JobRun, error_line, job_history
from core.jobs import InProcessRunner, JobRegistry, JobRunner

log = structlog.get_logger(__name__)

INSPECT_TIMEOUT = 1.0
"""Seconds the workers have to answer; a busy worker answers between tasks' steps."""

INSPECT_GRACE = 2.0
"""Beyond the timeout, how long connecting to the broker may take before we give up."""


@dataclass(frozen=True)
class JobStatus:
    name: str
    every_seconds: float | None
    """Seconds between scheduled runs; None: run only when enqueued."""
    last_run: JobRun | None
    last_failure: JobRun | None

    @property
    def schedule(self) -> str:
        """`every 10s`, `every 1h`, `every 1d`, or `on demand`."""
        if not self.every_seconds:
            return "on demand"
        for unit, seconds in (("d", 86_400), ("h", 3600), ("min", 60)):
            if self.every_seconds % seconds == 0:
                return f"every {self.every_seconds / seconds:g}{unit}"
        return f"every {self.every_seconds:g}s"


@dataclass(frozen=True)
class ActiveTask:
    job: str
    task_id: str
    started_at: datetime | None


@dataclass(frozen=True)
class WorkerStatus:
    name: str
    concurrency: int | None
    active: list[ActiveTask]
    processed: int
    """Tasks this worker finished since it started."""


@dataclass(frozen=True)
class TasksOverview:
    runner: str
    """`in-process` (embedded: the API process runs the jobs) or `celery`."""
    queue: str | None
    queue_length: int | None
    """Jobs waiting to start: the in-process queue, or the Celery queue in Redis."""
    jobs: list[JobStatus]
    workers: list[WorkerStatus]
    note: str | None
    """Why `workers` is empty, when it is."""


async def tasks_overview(
    *,
    registry: JobRegistry,
    cache: Cache,
    runner: JobRunner,
    redis: Redis | None,
    inspect_timeout: float = INSPECT_TIMEOUT,
) -> TasksOverview:
    """Every job of `registry` by name, and what `runner` can tell of its queue and workers."""
    jobs = [
        JobStatus(job.name, job.every, history.last_run, history.last_failure)
        for job in sorted(registry.jobs.values(), key=lambda job: job.name)
        for history in [await job_history(cache, job.name)]
    ]
    if isinstance(runner, CeleryRunner):
        length = await celery_queue_length(redis, runner.queue) if redis is not None else None
        workers, note = await inspect_workers(runner.app, answer_within=inspect_timeout)
        return TasksOverview("celery", runner.queue, length, jobs, workers, note)
    pending = runner.pending if isinstance(runner, InProcessRunner) else None
    note = "embedded mode: jobs run inside the API process, not on Celery workers"
    return TasksOverview("in-process", None, pending, jobs, [], note)


async def celery_queue_length(redis: Redis, queue: str) -> int | None:
    """Messages waiting in the queue's Redis lists (kombu keeps one list per priority)."""
    names = [
        f"{queue}{RedisChannel.sep}{step}" if step else queue
        for step in RedisChannel.priority_steps
    ]
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.llen(name)
            lengths = await pipe.execute()
    except RedisError as exc:
        log.warning("queue_length_unread", queue=queue, error=type(exc).__name__)
        return None
    return sum(int(length) for length in lengths)


async def inspect_workers(
    app: Celery, *, answer_within: float
) -> tuple[list[WorkerStatus], str | None]:
    """The workers that answered within `answer_within` seconds, and a note when none did."""

    def ask(question: str) -> dict[str, Any]:
        answer = getattr(app.control.inspect(timeout=answer_within), question)()
        return dict(answer or {})

    try:
        stats, active = await asyncio.wait_for(
            asyncio.gather(asyncio.to_thread(ask, "stats"), asyncio.to_thread(ask, "active")),
            timeout=answer_within + INSPECT_GRACE,
        )
    except Exception as exc:  # the broker is unreachable or slow: say so, never fail the page
        log.warning("workers_not_inspected", error=type(exc).__name__)
        return [], f"the workers could not be asked: {error_line(exc)}"
    workers = [
        _worker(name, stats.get(name) or {}, active.get(name) or [])
        for name in sorted(set(stats) | set(active))
    ]
    if not workers:
        return [], f"no worker answered within {answer_within:g} s"
    return workers, None


def _worker(name: str, stats: dict[str, Any], active: list[dict[str, Any]]) -> WorkerStatus:
    pool = stats.get("pool") or {}
    concurrency = pool.get("max-concurrency")
    totals = stats.get("total") or {}
    return WorkerStatus(
        name=name,
        concurrency=int(concurrency) if isinstance(concurrency, int) else None,
        active=[_active(task) for task in active],
        processed=sum(int(count) for count in totals.values()),
    )


def _active(task: dict[str, Any]) -> ActiveTask:
    started = task.get("time_start")
    return ActiveTask(
        job=str(task.get("name") or task.get("type") or "?"),
        task_id=str(task.get("id") or ""),
        started_at=datetime.fromtimestamp(started, UTC)
        if isinstance(started, int | float)
        else None,
    )
