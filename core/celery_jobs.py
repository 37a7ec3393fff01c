"""Jobs on Celery (production): the registry's job functions as tasks, at least once.

Late acks, a requeue when a worker dies, one task prefetched per process and a long
visibility timeout (docs/reliability.md says why each). A task whose run kills its worker
comes back at once; after `max_redeliveries` such returns it is given up: logged, counted and
handed to the registry's `on_given_up` hooks. An enqueued task that fails on an outage is
retried with a backoff. `CeleryRunner.enqueue` coalesces as the in-process runner does,
across processes: a Redis key marks a job sent without arguments and not started yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from celery import Celery
from celery.signals import worker_process_shutdown
from prometheus_client import CollectorRegistry
from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

from core.cache import InProcessCache, RedisCache, connect_redis
from core.job_runs import JobRun, record_job_run
from core.jobs import (
    DirectoryWatches,
    GivenUp,
    GivenUpHook,
    Job,
    JobRegistry,
    run_job,
    stop_tasks,
)
from core.logging import bind_request_id, current_request_id
from core.metrics import JobMetrics, metrics_for
from core.outages import DEFAULT_BACKOFF, OUTAGE_RETRIES, Backoff, is_outage

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CeleryOptions:
    broker_url: str
    queue: str
    max_redeliveries: int = 5
    """A task runs at most 1 + this many times; the next delivery is given up unrun."""
    beat_schedule_file: str | None = None
    visibility_timeout: float = 3600
    """Seconds a delivered, unacknowledged task stays invisible before Redis hands it out
    again: past the longest run, or a task still running is run a second time."""
    backoff: Backoff = DEFAULT_BACKOFF
    """Delays between the retries of an enqueued task that failed on an outage."""


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


WAITING_TTL_SECONDS = 30
"""A job's "sent, not started" mark outlives a lost message by this much at most; the
schedule runs the job meanwhile."""


class _Waiting:
    """Jobs sent without arguments and not started yet, marked in Redis (the broker).

    The mark is dropped when a worker starts the job, so work committed after that start
    sends a run of its own. One client per process, made after the prefork fork.
    """

    def __init__(self, broker_url: str, namespace: str) -> None:
        self._url = broker_url
        self._prefix = f"airlock:{namespace}:waiting:"
        self._client: tuple[int, Redis] | None = None
        self._async_client: tuple[int, asyncio.AbstractEventLoop, AsyncRedis] | None = None

    def _redis(self) -> Redis:
        if self._client is None or self._client[0] != os.getpid():
            self._client = (os.getpid(), Redis.from_url(self._url, socket_timeout=5))
        return self._client[1]

    def _async_redis(self) -> AsyncRedis:
        # An asyncio client belongs to the loop it connected on (and, like the other, to
        # this process): another loop gets its own.
        loop = asyncio.get_running_loop()
        if self._async_client is None or self._async_client[:2] != (os.getpid(), loop):
            client = connect_redis(self._url)
            self._async_client = (os.getpid(), loop, client)
        return self._async_client[2]

    async def mark(self, job: str) -> bool:
        """True if nobody marked `job` yet (send it); False when a run already waits.

        On the event loop: an enqueue that finds a run waiting (most of them under load)
        costs one command, not a thread hop."""
        try:
            marked = await self._async_redis().set(
                self._prefix + job, 1, nx=True, ex=WAITING_TTL_SECONDS
            )
        except RedisError:
            return True  # sending once too often beats not sending
        return bool(marked)

    async def close(self) -> None:
        client, self._async_client = self._async_client, None
        if client is not None and client[:2] == (os.getpid(), asyncio.get_running_loop()):
            await client[2].aclose()

    def clear(self, job: str) -> None:
        """No run of `job` waits any more: a worker started it, or it was never sent."""
        with contextlib.suppress(RedisError):
            self._redis().delete(self._prefix + job)


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
        broker_transport_options={"visibility_timeout": options.visibility_timeout},
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
    waiting = _Waiting(options.broker_url, registry.namespace)

    for job in registry.jobs.values():
        _register_task(app, job, worker_loop, deliveries, waiting, options, registry)

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
    waiting: _Waiting,
    options: CeleryOptions,
    registry: JobRegistry,
) -> None:
    max_redeliveries, backoff = options.max_redeliveries, options.backoff

    def run(task: Any, /, request_id: str | None = None, **kwargs: Any) -> Any:
        task_id = str(task.request.id)
        if not kwargs:
            waiting.clear(job.name)
        number = deliveries.count(task_id)
        if number is not None and number > max_redeliveries + 1:
            # Every earlier delivery died unfinished (a finished run forgets its count).
            given_up = GivenUp(job.name, task_id, number, request_id)
            worker_loop.give_up(given_up, registry.given_up_hooks)
            return None
        try:
            return worker_loop.run(job, kwargs, request_id)
        except Exception as exc:
            # An enqueued job waits out an outage; a scheduled one has beat's next tick.
            retries = int(task.request.retries or 0)
            if job.every is None and is_outage(exc) and retries < OUTAGE_RETRIES:
                delay = backoff.delay(retries + 1)
                raise task.retry(exc=exc, countdown=delay, max_retries=OUTAGE_RETRIES) from exc
            raise
        finally:
            deliveries.forget(task_id)

    # Not shared: a task belongs to its own app, not to every app made after it.
    app.task(name=job.name, bind=True, shared=False)(run)


class CeleryRunner:
    """Production mode: enqueue sends a message; the worker and beat do the running.

    With `watch`, this process (an API process: it has the transfer directory) also watches
    the registry's directories and sends their jobs when a file appears, as the in-process
    runner does; several API processes send one run between them (coalesced)."""

    def __init__(
        self, app: Celery, registry: JobRegistry, *, runtime: object = None, watch: bool = False
    ) -> None:
        self.app = app
        self._registry = registry
        self._runtime = runtime
        self._watch = watch and runtime is not None
        self._waiting = _Waiting(str(app.conf.broker_url), registry.namespace)
        self._open: dict[str, asyncio.Task[None]] = {}
        """Per job, the group of enqueues whose mark is not sent yet (see `enqueue`)."""
        self._last: dict[str, asyncio.Task[None]] = {}
        self._watches = DirectoryWatches()

    @property
    def queue(self) -> str:
        return str(self.app.conf.task_default_queue)

    async def enqueue(self, name: str, **kwargs: Any) -> None:
        job = self._registry.get(name)
        if kwargs:
            await asyncio.to_thread(self._send, job.name, kwargs, current_request_id())
            return
        loop = asyncio.get_running_loop()
        group = self._open.get(job.name)
        if group is None or group.get_loop() is not loop:
            last = self._last.get(job.name)
            previous = last if last is not None and last.get_loop() is loop else None
            group = loop.create_task(self._mark_and_send(job.name, previous), name=job.name)
            self._open[job.name] = self._last[job.name] = group
        # Shielded: a caller that goes away (a cancelled request) leaves the others' mark.
        await asyncio.shield(group)

    async def _mark_and_send(self, name: str, previous: asyncio.Task[None] | None) -> None:
        """One group's mark, sent once the mark before it has come back.

        Enqueues that arrive meanwhile join this group, so a burst costs a command per round
        trip, not one per enqueue (an API route that enqueues after each commit would pay one
        Redis round trip a call). Every member enqueued before this mark goes out, so it tells
        them all the truth: a run that starts after it sees their work."""
        if previous is not None:
            await asyncio.wait([previous])  # its outcome is its own members'
        if self._open.get(name) is asyncio.current_task():
            del self._open[name]  # from here on, an enqueue waits for the next mark
        if await self._waiting.mark(name):
            # send_task does blocking broker I/O; keep it off the event loop.
            await asyncio.to_thread(self._send, name, {}, current_request_id())

    def _send(self, name: str, kwargs: dict[str, Any], request_id: str | None) -> None:
        try:
            self.app.send_task(name, kwargs={**kwargs, "request_id": request_id})
        except Exception:
            if not kwargs:  # nothing waits after all: the next enqueue must send
                self._waiting.clear(name)
            raise

    async def start(self) -> None:
        if self._watch:
            self._watches.start(self._registry, self._runtime, self.enqueue)

    async def stop(self) -> None:
        await self._watches.stop()
        loop = asyncio.get_running_loop()
        # A mark not sent is the schedule's to cover, as a message lost would be.
        await stop_tasks(
            [task for task in self._last.values() if task.get_loop() is loop and not task.done()]
        )
        self._open.clear()
        self._last.clear()
        await self._waiting.close()
