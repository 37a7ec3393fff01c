"""`airlock-response tasks`, `airlock-request tasks`: the tasks overview as tables."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.job_runs import JobRun
from core.job_status import INSPECT_TIMEOUT, TasksOverview, tasks_overview
from core.runtime import Runtime

console = Console()

RuntimeOpener = Callable[[], AbstractAsyncContextManager[Runtime[Any]]]

EMBEDDED_NOTE = (
    "embedded mode: the API process runs the jobs and keeps their last runs and queue in its "
    "own memory; ask it with GET /admin/tasks"
)


def make_tasks_command(open_runtime: RuntimeOpener) -> Callable[..., None]:
    def tasks(
        timeout: Annotated[
            float, typer.Option(min=0.1, max=30.0, help="Seconds the workers have to answer")
        ] = INSPECT_TIMEOUT,
    ) -> None:
        """Jobs with their schedule and last runs, the queue, the Celery workers."""

        async def read() -> tuple[TasksOverview, bool]:
            async with open_runtime() as runtime:
                overview = await tasks_overview(
                    registry=runtime.registry,
                    cache=runtime.cache,
                    runner=runtime.jobs,
                    redis=runtime.redis,
                    inspect_timeout=timeout,
                )
                return overview, runtime.redis is None

        overview, embedded = asyncio.run(read())
        show(overview, embedded=embedded)

    return tasks


def show(overview: TasksOverview, *, embedded: bool) -> None:
    now = datetime.now(UTC)
    jobs = Table(title=f"jobs ({overview.runner})")
    for column in ("job", "schedule", "last run", "took", "outcome", "last failure"):
        jobs.add_column(column)
    for job in overview.jobs:
        run, failure = job.last_run, job.last_failure
        jobs.add_row(
            job.name,
            job.schedule,
            _ago(run, now),
            f"{run.seconds:.3f}s" if run else "",
            _outcome(run),
            f"{_ago(failure, now)}: {escape(failure.error or '')}" if failure else "",
        )
    console.print(jobs)
    if embedded:
        console.print(EMBEDDED_NOTE)
        return
    console.print(f"queue {overview.queue}: {_count(overview.queue_length)} waiting")
    if not overview.workers:
        console.print(f"[yellow]{overview.note}[/]")
        return
    workers = Table(title="workers")
    for column in ("worker", "concurrency", "processed", "active"):
        workers.add_column(column)
    for worker in overview.workers:
        active = ", ".join(task.job for task in worker.active) or "-"
        workers.add_row(worker.name, _count(worker.concurrency), str(worker.processed), active)
    console.print(workers)


def _ago(run: JobRun | None, now: datetime) -> str:
    if run is None:
        return "never"
    return f"{max(0.0, (now - run.started_at).total_seconds()):.0f}s ago"


def _outcome(run: JobRun | None) -> str:
    if run is None:
        return ""
    return (
        "[green]ok[/]"
        if run.outcome == "ok"
        else f"[red]{run.outcome}[/]: {escape(run.error or '')}"
    )


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)
