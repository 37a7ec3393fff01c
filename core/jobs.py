"""Jobs: one registry of async job functions, run in-process (embedded) or by Celery.

A job function takes the network's runtime first and keyword arguments after. Both runners
call the very same functions, so the embedded mode has no second code path.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import structlog
from celery import Celery
from celery.signals import worker_process_shutdown
from prometheus_client import CollectorRegistry
from watchfiles import awatch

from core.logging import bind_request_id, current_request_id
from core.metrics import JobMetrics, metrics_for

log = structlog.get_logger(__name__)

RuntimeT = TypeVar("RuntimeT")
JobFunction = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Job:
    name: str
    function: JobFunction
    every: float | None = None
    """Seconds between scheduled runs; None means run only when enqueued."""


@dataclass(frozen=True)
class Watch:
    job: str
    directory: Callable[[Any], Path]


@dataclass
class JobRegistry:
    """The jobs of one network, by name. Names are namespaced, e.g. `response.heartbeat`."""

    namespace: str
    jobs: dict[str, Job] = field(default_factory=dict)
    watches: list[Watch] = field(default_factory=list)

    def on_new_files(self, name: str, directory: Callable[[Any], Path]) -> None:
        """Run job `name` as soon as files appear in `directory(runtime)` (in-process mode)."""
        self.watches.append(Watch(self.get(name).name, directory))

    def job(self, name: str, *, every: float | None = None) -> Callable[[JobFunction], JobFunction]:
        def register(function: JobFunction) -> JobFunction:
            full = f"{self.namespace}.{name}"
            if full in self.jobs:
                raise ValueError(f"job {full} registered twice")
            self.jobs[full] = Job(full, function, every)
            return function

        return register

    def get(self, name: str) -> Job:
        full = name if name.startswith(f"{self.namespace}.") else f"{self.namespace}.{name}"
        try:
            return self.jobs[full]
        except KeyError:
            raise KeyError(f"unknown job {name!r}") from None


class JobRunner(Protocol):
    async def enqueue(self, name: str, **kwargs: Any) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


async def run_job(job: Job, runtime: object, kwargs: dict[str, Any]) -> Any:
    """Run one job with logging and metrics; exceptions propagate to the runner (retries)."""
    registry = getattr(runtime, "metrics_registry", None)
    metrics = metrics_for(registry, JobMetrics) if isinstance(registry, CollectorRegistry) else None
    log.debug("job_started", job=job.name)
    started = time.perf_counter()
    try:
        result = await job.function(runtime, **kwargs)
    except Exception:
        if metrics is not None:
            metrics.observe(job=job.name, succeeded=False, seconds=time.perf_counter() - started)
        log.exception("job_failed", job=job.name)
        raise
    elapsed = time.perf_counter() - started
    if metrics is not None:
        metrics.observe(job=job.name, succeeded=True, seconds=elapsed)
    log.debug("job_finished", job=job.name, seconds=round(elapsed, 3))
    return result


class InProcessRunner(Generic[RuntimeT]):
    """Embedded mode: enqueued jobs run on an asyncio queue, scheduled ones on timers."""

    def __init__(self, registry: JobRegistry, runtime: RuntimeT, *, schedule: bool = True) -> None:
        self._registry = registry
        self._runtime = runtime
        self._schedule = schedule
        self._queue: asyncio.Queue[tuple[Job, dict[str, Any], str | None]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def enqueue(self, name: str, **kwargs: Any) -> None:
        self._queue.put_nowait((self._registry.get(name), kwargs, current_request_id()))

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._consume(), name="jobs-consumer"))
        if self._schedule:
            for job in self._registry.jobs.values():
                if job.every:
                    self._tasks.append(asyncio.create_task(self._tick(job), name=job.name))
            for watch in self._registry.watches:
                self._tasks.append(asyncio.create_task(self._watch(watch), name=watch.job))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def drain(self) -> None:
        """Wait until every enqueued job has run (tests and the CLI use this)."""
        await self._queue.join()

    async def _consume(self) -> None:
        while True:
            job, kwargs, request_id = await self._queue.get()
            try:
                with bind_request_id(request_id):
                    await run_job(job, self._runtime, kwargs)
            except Exception:  # noqa: S110 - logged by run_job; the consumer must survive
                pass
            finally:
                self._queue.task_done()

    async def _watch(self, watch: Watch) -> None:
        """Enqueue the job when the directory changes; the schedule remains the fallback."""
        directory = watch.directory(self._runtime)
        directory.mkdir(parents=True, exist_ok=True)
        try:
            async for _changes in awatch(directory, debounce=100, step=50, recursive=False):
                await self.enqueue(watch.job)
        except Exception:  # a lost watch (e.g. a network mount) leaves polling in charge
            log.warning("directory_watch_stopped", job=watch.job, directory=str(directory))

    async def _tick(self, job: Job) -> None:
        """Run at start, then every `job.every` seconds: a process restarted more often than a
        daily job's period still runs it, and a fresh one reports its heartbeat at once."""
        assert job.every is not None
        while True:
            with contextlib.suppress(Exception):
                await run_job(job, self._runtime, {})
            await asyncio.sleep(job.every)


@dataclass(frozen=True)
class CeleryOptions:
    broker_url: str
    queue: str
    max_redeliveries: int = 5
    beat_schedule_file: str | None = None


class _WorkerLoop:
    """One event loop and one runtime per worker process, built on first use.

    Built lazily so a prefork child never inherits its parent's connections.
    """

    def __init__(self, build_runtime: Callable[[], Awaitable[object]]) -> None:
        self._build_runtime = build_runtime
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runtime: object | None = None
        self._lock = threading.Lock()

    def run(self, job: Job, kwargs: dict[str, Any], request_id: str | None) -> Any:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            if self._runtime is None:
                self._runtime = self._loop.run_until_complete(self._build_runtime())
            with bind_request_id(request_id):
                return self._loop.run_until_complete(run_job(job, self._runtime, kwargs))

    def close(self) -> None:
        with self._lock:
            if self._loop is None:
                return
            close = getattr(self._runtime, "close", None)
            if close is not None:
                self._loop.run_until_complete(close())
            self._loop.close()
            self._loop, self._runtime = None, None


def create_celery_app(
    registry: JobRegistry,
    options: CeleryOptions,
    build_runtime: Callable[[], Awaitable[object]],
) -> Celery:
    """A Celery app whose tasks are the registry's jobs, at-least-once and idempotent."""
    app = Celery(registry.namespace, broker=options.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=options.queue,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        worker_hijack_root_logger=False,
        beat_schedule={
            job.name: {"task": job.name, "schedule": job.every}
            for job in registry.jobs.values()
            if job.every
        },
    )
    if options.beat_schedule_file:
        app.conf.beat_schedule_filename = options.beat_schedule_file
    worker_loop = _WorkerLoop(build_runtime)

    for job in registry.jobs.values():
        _register_task(app, job, worker_loop, options.max_redeliveries)

    def _shutdown(**_: Any) -> None:
        worker_loop.close()

    worker_process_shutdown.connect(_shutdown, weak=False)
    return app


def _register_task(app: Celery, job: Job, worker_loop: _WorkerLoop, max_redeliveries: int) -> None:
    def run(task: Any, /, request_id: str | None = None, **kwargs: Any) -> Any:
        redeliveries = int((task.request.delivery_info or {}).get("redelivered") or 0)
        if redeliveries > max_redeliveries:  # pragma: no cover - poison message guard
            log.error("job_dropped_after_redeliveries", job=job.name)
            return None
        return worker_loop.run(job, kwargs, request_id)

    app.task(name=job.name, bind=True)(run)


class CeleryRunner:
    """Production mode: enqueue sends a message; the worker and beat do the running."""

    def __init__(self, app: Celery, registry: JobRegistry) -> None:
        self._app = app
        self._registry = registry

    async def enqueue(self, name: str, **kwargs: Any) -> None:
        job = self._registry.get(name)
        kwargs = {**kwargs, "request_id": current_request_id()}
        # send_task does blocking broker I/O; keep it off the event loop.
        await asyncio.to_thread(self._app.send_task, job.name, kwargs=kwargs)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
