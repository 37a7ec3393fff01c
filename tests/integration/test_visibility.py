"""A task outliving the visibility timeout is delivered again while it runs (a real worker,
a real Redis); the second run finds the work done: one batch, its changes taken once."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.celery_jobs import CeleryRunner
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.transfer.models import ChangeLog, OutboxBatch
from response_network.users.models import Role, User
from shared.exchange.keys import generate_keys
from tests.integration.visibility_jobs import registry
from tests.ops.processes import ROOT, clean_env, stop
from tests.waiting import until

VISIBILITY_TIMEOUT = 1.0

pytestmark = pytest.mark.slow


@pytest.fixture
def worker_settings(response_settings: ResponseSettings, tmp_path: Path) -> ResponseSettings:
    settings = response_settings.model_copy(
        update={
            "var_dir": tmp_path / "worker",
            "job_visibility_timeout_seconds": VISIBILITY_TIMEOUT,
        }
    )
    generate_keys(settings)
    return settings


@pytest.fixture
def worker(worker_settings: ResponseSettings, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = clean_env(
        AIRLOCK_RESPONSE_DATABASE_URL=worker_settings.resolved_database_url,
        AIRLOCK_RESPONSE_REDIS_URL=str(worker_settings.redis_url),
        AIRLOCK_RESPONSE_VAR_DIR=str(worker_settings.var_dir),
        AIRLOCK_RESPONSE_TRANSFER_DIR=str(worker_settings.resolved_transfer_dir),
        AIRLOCK_RESPONSE_JOB_VISIBILITY_TIMEOUT_SECONDS=str(VISIBILITY_TIMEOUT),
    )
    with (tmp_path / "worker.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.visibility_jobs"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    yield process
    # A cold shutdown: the test is over, nothing is left to finish (a warm one costs seconds).
    if process.poll() is None:
        process.send_signal(signal.SIGQUIT)
    stop(process)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.parametrize("backend", ["production"], indirect=True)
async def test_a_task_outliving_the_visibility_timeout_runs_twice_and_exports_once(
    worker_settings: ResponseSettings,
    response_runtime: ResponseRuntime,
    worker: subprocess.Popen[bytes],
    tmp_path: Path,
) -> None:
    async with response_runtime.unit_of_work() as uow:
        uow.session.add_all(
            User(
                username=f"user{i}",
                email=f"user{i}@example.org",
                display_name="",
                role=Role.USER,
                active=True,
                password_hash=None,
                version=1,
            )
            for i in range(3)
        )
    app = ResponseRuntime.celery_app(worker_settings, registry)
    runs, go = tmp_path / "runs", tmp_path / "go"

    await CeleryRunner(app, registry).enqueue("slow_export", runs_file=str(runs), go_file=str(go))

    async def started(count: int) -> bool:
        return sum(line.startswith("start") for line in lines(runs)) >= count

    await until(lambda: started(1), what="the first delivery", timeout=60)
    with app.connection() as connection:
        qos = connection.default_channel.qos

        async def delivered_again() -> bool:
            # kombu restores a message left unacknowledged past the timeout on one idle poll
            # of a worker in ten (about 10 s); ask for that very restore now instead.
            qos.restore_visible(num=10, interval=1)
            return await started(2)

        await until(delivered_again, what="the second delivery while the first runs")
    go.touch()

    async def finished() -> bool:
        return sum(line.startswith("done") for line in lines(runs)) == 2

    await until(finished, what="both runs to finish")

    assert [line.split()[0] for line in lines(runs)] == ["start", "start", "done", "done"]
    assert sorted(lines(runs)[2:]) == ["done 0", "done 1"]
    async with response_runtime.unit_of_work() as uow:
        batches = await uow.session.scalar(select(func.count()).select_from(OutboxBatch))
        pending = await uow.session.scalar(select(func.count()).where(ChangeLog.batch_id.is_(None)))
    assert (batches, pending) == (1, 0)
