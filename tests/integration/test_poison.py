"""A task that kills its Celery worker on every run is given up after the cap, on a real
worker and a real Redis, instead of being redelivered forever."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import select

from core.celery_jobs import CeleryRunner
from core.job_runs import job_history
from response_network.audit.models import AuditEvent
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from tests.integration.poison_jobs import registry
from tests.ops.processes import ROOT, clean_env, stop

MAX_REDELIVERIES = 2
"""The cap the worker runs with: the job runs 1 + 2 times, the 4th delivery is given up."""
DEADLINE_SECONDS = 120.0


@pytest.fixture
def metrics_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    return directory


@pytest.fixture
def worker_log(tmp_path: Path) -> Path:
    return tmp_path / "worker.log"


@pytest.fixture
def poison_worker(
    response_settings: ResponseSettings, metrics_dir: Path, worker_log: Path, tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    env = clean_env(
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        AIRLOCK_RESPONSE_DATABASE_URL=response_settings.resolved_database_url,
        AIRLOCK_RESPONSE_REDIS_URL=str(response_settings.redis_url),
        AIRLOCK_RESPONSE_VAR_DIR=str(tmp_path / "worker"),
        AIRLOCK_RESPONSE_JOB_MAX_REDELIVERIES=str(MAX_REDELIVERIES),
    )
    with worker_log.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.poison_jobs"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    yield process
    stop(process)


async def wait_until(
    found: Any, worker: subprocess.Popen[bytes], what: str, deadline: float = DEADLINE_SECONDS
) -> Any:
    """Poll the coroutine function `found` until it returns something, or fail."""
    give_up_at = time.monotonic() + deadline
    while time.monotonic() < give_up_at:
        assert worker.poll() is None, "the worker process itself died"
        result = await found()
        if result:
            return result
        await asyncio.sleep(0.2)
    pytest.fail(f"no {what} after {deadline:g}s")


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def given_up_count(metrics_dir: Path, job: str) -> float:
    collector = MultiProcessCollector(None, path=str(metrics_dir))  # type: ignore[no-untyped-call]
    return sum(
        sample.value
        for family in collector.collect()  # type: ignore[no-untyped-call]
        for sample in family.samples
        if sample.name == "airlock_jobs_given_up_total" and sample.labels.get("job") == job
    )


@pytest.mark.parametrize("backend", ["production"], indirect=True)
async def test_a_task_killing_its_worker_runs_cap_plus_one_times_then_is_given_up(
    response_settings: ResponseSettings,
    response_runtime: ResponseRuntime,
    poison_worker: subprocess.Popen[bytes],
    metrics_dir: Path,
    worker_log: Path,
    tmp_path: Path,
) -> None:
    sender = CeleryRunner(ResponseRuntime.celery_app(response_settings, registry), registry)
    runs, notes = tmp_path / "kill_worker.runs", tmp_path / "note.runs"

    await sender.enqueue("kill_worker", runs_file=str(runs))

    async def given_up() -> list[AuditEvent]:
        async with response_runtime.unit_of_work() as uow:
            found = await uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "job.given_up")
            )
            return list(found)

    [event] = await wait_until(given_up, poison_worker, "job.given_up audit event")
    pids = lines(runs)
    assert len(pids) == MAX_REDELIVERIES + 1
    assert len(set(pids)) == len(pids)  # each run killed a worker child; a new one took over
    assert (event.actor_name, event.object_type, event.result) == ("jobs", "job", "failure")
    assert event.details == {
        "job": "poison.kill_worker",
        "deliveries": MAX_REDELIVERIES + 2,
        "request_id": None,
    }
    assert response_runtime.redis is not None
    counted = await response_runtime.redis.get(f"airlock:poison:deliveries:{event.object_id}")
    assert counted == str(MAX_REDELIVERIES + 2).encode()
    assert given_up_count(metrics_dir, "poison.kill_worker") == 1
    # What /admin/tasks shows: the job's last run and last failure, given up.
    history = await job_history(response_runtime.cache, "poison.kill_worker")
    assert history.last_run is not None
    assert history.last_run == history.last_failure
    assert history.last_run.outcome == "given_up"
    assert history.last_run.error == (
        f"given up after {MAX_REDELIVERIES + 2} deliveries (task {event.object_id})"
    )
    logged = [
        json.loads(line)
        for line in worker_log.read_text(errors="replace").splitlines()
        if line.startswith("{") and '"job_given_up"' in line
    ]
    assert [(e["job"], e["task_id"], e["deliveries"]) for e in logged] == [
        ("poison.kill_worker", event.object_id, MAX_REDELIVERIES + 2)
    ]

    # The worker goes on: the next task runs, and the given-up one is gone from the queue.
    await sender.enqueue("note", runs_file=str(notes))

    async def noted() -> list[str]:
        return lines(notes)

    assert await wait_until(noted, poison_worker, "run of the next task") == ["ran"]
    assert len(lines(runs)) == MAX_REDELIVERIES + 1
    redis = response_runtime.redis

    async def drained() -> tuple[int, int] | None:
        # The next task acknowledges after it returns (acks_late): wait for that, not a moment.
        queued = await cast(Awaitable[int], redis.llen("airlock.response"))
        unacked = await cast(Awaitable[int], redis.hlen("unacked"))  # kombu's unacked messages
        return (queued, unacked) if (queued, unacked) == (0, 0) else None

    assert await wait_until(drained, poison_worker, "an empty queue, nothing unacked") == (0, 0)
