"""Jobs: one registry of async job functions, run in-process (embedded) or by Celery.

A job function takes the network's runtime first and keyword arguments after. Both runners
call the very same functions, so the embedded mode has no second code path. The Celery side
(`core.celery_jobs`) counts redeliveries and gives up a task that kills its worker.

A job enqueued without arguments while the same job waits, not yet started, is that same
run: jobs process whatever is pending when they start, so a burst of submissions makes one
export, not one per request.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import structlog
from prometheus_client import CollectorRegistry
from watchfiles import Change, awatch

from core.cache import InProcessCache, RedisCache
from core.job_runs import JobRun, error_line, record_job_run
from core.logging import bind_request_id, current_request_id
from core.metrics import JobMetrics, metrics_for
from core.outages import DEFAULT_BACKOFF, OUTAGE_RETRIES, Backoff, is_outage

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
        """Run job `name` as soon as a file appears in `directory(runtime)`: the in-process
        runner watches, and so does an API process on Celery (`CeleryRunner(watch=True)`)."""
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


_Queued = tuple[Job, dict[str, Any], str | None, int]
"""A job, its arguments, the request id that enqueued it and how many times it was retried."""


class InProcessRunner(Generic[RuntimeT]):
    """Embedded mode: enqueued jobs run on an asyncio queue, scheduled ones on timers.

    A run that fails on an outage (`is_outage`) waits out `backoff`: an enqueued job is
    enqueued again after the delay (once per job and arguments, up to `OUTAGE_RETRIES`
    times), a scheduled one waits the longer of its period and the delay before its next run.
    """

    def __init__(
        self,
        registry: JobRegistry,
        runtime: RuntimeT,
        *,
        schedule: bool = True,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self._registry = registry
        self._runtime = runtime
        self._schedule = schedule
        self._backoff = backoff
        self._queue: asyncio.Queue[_Queued] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._retries: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._waiting: set[str] = set()
        """Jobs enqueued without arguments and not started yet (see the module's docstring)."""
        self._watches = DirectoryWatches()

    async def enqueue(self, name: str, **kwargs: Any) -> None:
        job = self._registry.get(name)
        if not kwargs:
            if job.name in self._waiting:
                return
            self._waiting.add(job.name)
        self._queue.put_nowait((job, kwargs, current_request_id(), 0))

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._consume(), name="jobs-consumer"))
        if self._schedule:
            for job in self._registry.jobs.values():
                if job.every:
                    self._tasks.append(asyncio.create_task(self._tick(job), name=job.name))
            self._watches.start(self._registry, self._runtime, self.enqueue)

    async def stop(self) -> None:
        await self._watches.stop()
        await stop_tasks([*self._tasks, *self._retries.values()])
        self._tasks.clear()
        self._retries.clear()

    @property
    def pending(self) -> int:
        """Enqueued jobs not yet started."""
        return self._queue.qsize()

    async def drain(self) -> None:
        """Wait until every enqueued job has run (tests and the CLI use this)."""
        await self._queue.join()

    async def _consume(self) -> None:
        while True:
            job, kwargs, request_id, retries = await self._queue.get()
            if not kwargs:
                # From now on, work committed after this start needs a run of its own.
                self._waiting.discard(job.name)
            try:
                with bind_request_id(request_id):
                    await run_job(job, self._runtime, kwargs)
            except Exception as exc:  # logged by run_job; the consumer must survive
                if is_outage(exc):
                    self._retry_later((job, kwargs, request_id, retries + 1))
            finally:
                self._queue.task_done()

    def _retry_later(self, queued: _Queued) -> None:
        job, kwargs, _request_id, retries = queued
        key = (job.name, repr(sorted(kwargs.items())))
        if key in self._retries:
            return  # one retry per job and arguments: jobs are idempotent
        if retries > OUTAGE_RETRIES:
            log.warning("job_retries_exhausted", job=job.name, retries=OUTAGE_RETRIES)
            return
        delay = self._backoff.delay(retries)
        log.info("job_retry_scheduled", job=job.name, retry=retries, seconds=delay)

        async def later() -> None:
            await asyncio.sleep(delay)
            del self._retries[key]
            self._queue.put_nowait(queued)

        self._retries[key] = asyncio.create_task(later(), name=f"retry:{job.name}")

    async def _tick(self, job: Job) -> None:
        """Run at start, then every `job.every` seconds: a process restarted more often than a
        daily job's period still runs it, and a fresh one reports its heartbeat at once."""
        assert job.every is not None
        outages = 0
        while True:
            try:
                await run_job(job, self._runtime, {})
                outages = 0
            except Exception as exc:
                outages = outages + 1 if is_outage(exc) else 0
            pause = max(job.every, self._backoff.delay(outages)) if outages else job.every
            await asyncio.sleep(pause)


WATCH_STEP_MS = 10
"""How long a watch waits for more changes before it reports them: a new file reaches its
job 10-20 ms after it appears (it was 50-100 ms, half of an embedded round trip)."""


def _appeared(change: Change, path: str) -> bool:
    # Writers write a hidden temporary and rename it into place; deletions (an importer
    # setting a file aside) bring nothing to do.
    return change == Change.added and not Path(path).name.startswith(".")


async def watch_directory(
    directory: Path, run: Callable[[], Awaitable[None]], stop: threading.Event
) -> None:
    """Call `run()` whenever a file appears in `directory`, until `stop` is set; the schedule
    remains the fallback."""
    # No await before the watch is set up: it is in place once this task first runs.
    os.makedirs(directory, exist_ok=True)
    try:
        async for _changes in awatch(
            directory,
            watch_filter=_appeared,
            debounce=100,
            step=WATCH_STEP_MS,
            recursive=False,
            stop_event=stop,
        ):
            await run()
    except Exception:  # a lost watch (e.g. a network mount) leaves polling in charge
        log.warning("directory_watch_stopped", directory=str(directory))


class DirectoryWatches:
    """A runner's watches (`JobRegistry.on_new_files`), each a task running `watch_directory`.

    They stop on an event their watcher threads check every step, as well as by cancellation:
    a watch then ends within a step even if a cancel never reaches it.
    """

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(
        self, registry: JobRegistry, runtime: Any, enqueue: Callable[[str], Awaitable[None]]
    ) -> None:
        self._stop.clear()
        for watch in registry.watches:
            run = functools.partial(enqueue, watch.job)
            task = watch_directory(watch.directory(runtime), run, self._stop)
            self._tasks.append(asyncio.create_task(task, name=f"watch-{watch.job}"))

    async def stop(self) -> None:
        self._stop.set()
        await stop_tasks(self._tasks)  # cancelled too: a watch waiting in `run()` ends at once
        self._tasks.clear()


STOP_GRACE_SECONDS = 10.0


async def stop_tasks(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel a runner's tasks and wait for them, for `STOP_GRACE_SECONDS` at most: a task
    that has not ended by then is logged with where it waits, and left behind, so stopping
    never hangs. (A test's runner once never stopped, about one run in 25 under load: a job
    was cancelled while its lock waited for the renewal to end, which swallowed the cancel;
    see `core.locks`.)"""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    done, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("job_task_failed", task=task.get_name(), exc_info=task.exception())
    for task in pending:
        log.error("job_task_did_not_stop", task=task.get_name(), waiting_at=awaiting(task))


def awaiting(task: asyncio.Task[Any]) -> str:
    """Where a suspended task waits, outermost first: its chain of awaits, which its own
    stack (one frame for a suspended coroutine) does not show."""
    steps: list[str] = []
    step: Any = task.get_coro()
    while step is not None:
        frame = getattr(step, "cr_frame", None) or getattr(step, "ag_frame", None)
        if frame is None:
            steps.append(repr(step)[:200])  # a future, or something not a coroutine
            break
        code = frame.f_code
        steps.append(f"{code.co_filename}:{frame.f_lineno} {code.co_name}")
        step = getattr(step, "cr_await", None) or getattr(step, "ag_await", None)
    return " > ".join(steps)
