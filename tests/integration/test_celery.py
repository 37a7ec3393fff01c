"""A job enqueued through Celery is run by a real worker process on a real Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from response_network.operations.models import WorkerHeartbeat
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from tests.ops.test_tasks import response_headers
from tests.waiting import Started, start_module, until


@pytest.fixture
def response_worker(
    backend: str, response_settings: ResponseSettings, tmp_path: Path
) -> Iterator[Started]:
    """A Celery worker of the response network on the test's database and Redis."""
    if backend != "production":
        pytest.fail("the Celery worker runs on the production backends only")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
    env.update(
        AIRLOCK_RESPONSE_DATABASE_URL=response_settings.resolved_database_url,
        AIRLOCK_RESPONSE_REDIS_URL=str(response_settings.redis_url),
        AIRLOCK_RESPONSE_VAR_DIR=str(tmp_path / "worker"),
    )
    worker = start_module(
        "response-worker",
        *("response_network", "worker", "--concurrency", "1"),
        log_dir=tmp_path,
        env=env,
    )
    yield worker
    worker.stop()


@pytest.mark.parametrize("backend", ["production"], indirect=True)
async def test_enqueued_job_runs_on_the_celery_worker_which_admins_see(
    response_runtime: ResponseRuntime,
    response_settings: ResponseSettings,
    response_client: httpx.AsyncClient,
    response_worker: Started,
) -> None:
    await response_runtime.jobs.enqueue("heartbeat")

    async def heartbeats() -> list[WorkerHeartbeat]:
        async with response_runtime.unit_of_work() as uow:
            return list((await uow.session.execute(select(WorkerHeartbeat))).scalars())

    rows = await until(heartbeats, what="the worker's heartbeat row", watch=[response_worker])
    assert len(rows) == 1
    # Written by the worker process, not by this one.
    assert rows[0].pid != os.getpid()

    # The same worker, as an admin sees it: its run recorded, itself answering `inspect`.
    headers = await response_headers(response_runtime, response_settings)

    async def tasks() -> dict[str, Any] | None:
        answer = (await response_client.get("/admin/tasks", headers=headers)).json()
        return answer if answer["workers"] else None

    overview = await until(tasks, what="the worker in /admin/tasks", watch=[response_worker])
    (worker,) = overview["workers"]
    assert worker["name"].startswith("celery@")
    assert worker["concurrency"] == 1
    assert worker["processed"] >= 1
    assert overview["note"] is None
    heartbeat = next(job for job in overview["jobs"] if job["name"] == "response.heartbeat")
    assert heartbeat["last_run"]["outcome"] == "ok"
