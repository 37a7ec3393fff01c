"""A job enqueued through Celery is run by a real worker process on a real Redis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from response_network.operations.models import WorkerHeartbeat
from response_network.settings import ResponseSettings


@pytest.fixture
def response_worker(
    backend: str, response_settings: ResponseSettings, tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    if backend != "production":
        pytest.fail("the Celery worker runs on the production backends only")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
    env.update(
        AIRLOCK_RESPONSE_DATABASE_URL=response_settings.resolved_database_url,
        AIRLOCK_RESPONSE_REDIS_URL=str(response_settings.redis_url),
        AIRLOCK_RESPONSE_VAR_DIR=str(tmp_path / "worker"),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "response_network", "worker", "--concurrency", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield process
    process.terminate()
    process.wait(30)


@pytest.mark.parametrize("backend", ["production"], indirect=True)
async def test_enqueued_job_runs_on_the_celery_worker(
    response_runtime: Runtime, response_worker: subprocess.Popen[bytes]
) -> None:
    await response_runtime.jobs.enqueue("heartbeat")
    rows: list[WorkerHeartbeat] = []
    for _ in range(200):
        async with response_runtime.unit_of_work() as uow:
            rows = list((await uow.session.execute(select(WorkerHeartbeat))).scalars())
        if rows:
            break
        assert response_worker.poll() is None, "worker died"
        await asyncio.sleep(0.1)
    assert len(rows) == 1
    # Written by the worker process, not by this one.
    assert rows[0].pid != os.getpid()
