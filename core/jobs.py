"""Jobs: one registry of async job functions, run in-process (embedded) or by Celery.

A job function takes the network's runtime first and keyword arguments after. Both runners
call the very same functions, so the embedded mode has no second code path. On Celery a task
whose run kills its worker comes back at once (late acks); after `max_redeliveries` such
returns it is given up: logged, counted and handed to the registry's `on_given_up` hooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import structlog
from celery import Celery
from celery.signals import worker_process_shutdown
from prometheus_client import CollectorRegistry
from redis import Redis
from redis.exceptions import RedisError
from watchfiles import awatch

from core.cache import InProcessCache, RedisCache
from core.job_runs import JobRun, error_line, record_job_run
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


@dataclass(frozen=True)
class GivenUp:
    """A task dropped unrun: it was delivered `deliveries` times and never finished."""

    job: str
    task_id: str
    deliveries: int
    request_id: str | None


GivenUpHook = Callable[[Any, GivenUp], Awaitable[None]]
"""hook(runtime, given_up): records a given-up task (the networks write an audit event)."""


@dataclass
class JobRegistry:
    """The jobs of one network, by name. Names are namespaced, e.g. `response.heartbeat`."""

    namespace: str
    jobs: dict[str, Job] = field(default_factory=dict)
    watches: list[Watch] = field(default_factory=list)
    given_up_hooks: list[GivenUpHook] = field(default_factory=list)

    def on_given_up(self, hook: GivenUpHook) -> None:
        """Call `hook(runtime, given_up)` on the worker for each task it gives up."""
        self.given_up_hooks.append(hook)

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
    # The last run goes into the runtime's cache: on Redis the API process sees the workers'.
    cache = getattr(runtime, "cache", None)
    recorded = cache if isinstance(cache, InProcessCache | RedisCache) else None
    log.debug("job_started", job=job.name)
    started_at, started = datetime.now(UTC), time.perf_counter()
    try:
        result = await job.function(runtime, **kwargs)
    except Exception as exc:
        elapsed = time.perf_counter() - started
        if metrics is not None:
            metrics.observe(job=job.name, succeeded=False, seconds=elapsed)
        log.exception("job_failed", job=job.name)
        if recorded is not None:
            run = JobRun(started_at, elapsed, "failed", error_line(exc))
            await record_job_run(recorded, job.name, run)
        raise
    elapsed = time.perf_counter() - started
    if metrics is not None:
        metrics.observe(job=job.name, succeeded=True, seconds=elapsed)
    if recorded is not None:
        await record_job_run(recorded, job.name, JobRun(started_at, elapsed, "ok"))
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

    @property
    def pending(self) -> int:
        """Enqueued jobs not yet started."""
        return self._queue.qsize()

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
    """A task runs at most 1 + this many times; the next delivery is given up unrun."""
    beat_schedule_file: str | None = None


DELIVERIES_TTL_SECONDS = 86_400
"""How long a task's delivery count is kept after its last delivery (unfinished tasks only:
a finished one deletes its count). Longer than `max_redeliveries` visibility timeouts."""


class _Deliveries:
    """Deliveries per task id, counted in Redis (the broker) across worker processes.

    kombu's `redelivered` flag is a boolean, so it cannot count: a task that kills its
    worker child is requeued at once (`acks_late` + `task_reject_on_worker_lost`) under the
    same id, forever. One client per process, made after the prefork fork.
    """

    def __init__(self, broker_url: str, namespace: str) -> None:
        self._url = broker_url
        self._prefix = f"airlock:{namespace}:deliveries:"
        self._client: tuple[int, Redis] | None = None

    def _redis(self) -> Redis:
        if self._client is None or self._client[0] != os.getpid():
            self._client = (os.getpid(), Redis.from_url(self._url, socket_timeout=5))
        return self._client[1]

    def count(self, task_id: str) -> int | None:
        """This delivery's number (1 for the first); None if Redis did not answer."""
        try:
            with self._redis().pipeline() as pipe:
                pipe.incr(self._prefix + task_id)
                pipe.expire(self._prefix + task_id, DELIVERIES_TTL_SECONDS)
                number, _ = pipe.execute()
            return int(number)
        except RedisError as exc:
            # The job still runs: losing the guard once beats losing the task.
            log.warning("job_deliveries_not_counted", task_id=task_id, error=type(exc).__name__)
            return None

    def forget(self, task_id: str) -> None:
        with contextlib.suppress(RedisError):
            self._redis().delete(self._prefix + task_id)


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
        with self._lock, bind_request_id(request_id):
            loop, runtime = self._ready()
            return loop.run_until_complete(run_job(job, runtime, kwargs))

    def give_up(self, given_up: GivenUp, hooks: list[GivenUpHook]) -> None:
        """Log, count and hand `given_up` to the hooks; never raises (the task is dropped)."""
        log.error(
            "job_given_up",
            job=given_up.job,
            task_id=given_up.task_id,
            deliveries=given_up.deliveries,
            request_id=given_up.request_id,
        )
        with self._lock:
            try:
                loop, runtime = self._ready()
                loop.run_until_complete(_record_given_up(runtime, given_up, hooks))
            except Exception:
                log.exception("job_given_up_not_recorded", job=given_up.job)

    def _ready(self) -> tuple[asyncio.AbstractEventLoop, object]:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        if self._runtime is None:
            self._runtime = self._loop.run_until_complete(self._build_runtime())
        return self._loop, self._runtime

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
    deliveries = _Deliveries(options.broker_url, registry.namespace)

    for job in registry.jobs.values():
        _register_task(app, job, worker_loop, deliveries, options.max_redeliveries, registry)

    def _shutdown(**_: Any) -> None:
        worker_loop.close()

    worker_process_shutdown.connect(_shutdown, weak=False)
    return app


async def _record_given_up(runtime: object, given_up: GivenUp, hooks: list[GivenUpHook]) -> None:
    registry = getattr(runtime, "metrics_registry", None)
    if isinstance(registry, CollectorRegistry):
        metrics_for(registry, JobMetrics).given_up.labels(given_up.job).inc()
    cache = getattr(runtime, "cache", None)
    if isinstance(cache, InProcessCache | RedisCache):
        error = f"given up after {given_up.deliveries} deliveries (task {given_up.task_id})"
        await record_job_run(cache, given_up.job, JobRun(datetime.now(UTC), 0.0, "given_up", error))
    for hook in hooks:
        await hook(runtime, given_up)


def _register_task(
    app: Celery,
    job: Job,
    worker_loop: _WorkerLoop,
    deliveries: _Deliveries,
    max_redeliveries: int,
    registry: JobRegistry,
) -> None:
    def run(task: Any, /, request_id: str | None = None, **kwargs: Any) -> Any:
        task_id = str(task.request.id)
        number = deliveries.count(task_id)
        if number is not None and number > max_redeliveries + 1:
            # Every earlier delivery died unfinished (a finished run forgets its count).
            given_up = GivenUp(job.name, task_id, number, request_id)
            worker_loop.give_up(given_up, registry.given_up_hooks)
            return None
        try:
            return worker_loop.run(job, kwargs, request_id)
        finally:
            deliveries.forget(task_id)

    # Not shared: a task belongs to its own app, not to every app made after it.
    app.task(name=job.name, bind=True, shared=False)(run)


class CeleryRunner:
    """Production mode: enqueue sends a message; the worker and beat do the running."""

    def __init__(self, app: Celery, registry: JobRegistry) -> None:
        self.app = app
        self._registry = registry

    @property
    def queue(self) -> str:
        return str(self.app.conf.task_default_queue)

    async def enqueue(self, name: str, **kwargs: Any) -> None:
        job = self._registry.get(name)
        kwargs = {**kwargs, "request_id": current_request_id()}
        # send_task does blocking broker I/O; keep it off the event loop.
        await asyncio.to_thread(self.app.send_task, job.name, kwargs=kwargs)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
