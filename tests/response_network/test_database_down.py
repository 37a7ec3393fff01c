"""PostgreSQL down (a cluster of this module's own, stopped with `-m immediate` and started
again on the same port): readiness and routes answer 503 naming it, a job that failed on the
outage is retried with a backoff, and everything returns without a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from core.job_runs import job_history
from core.jobs import InProcessRunner
from core.outages import Backoff
from response_network.jobs import registry
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.transfer.service import transfer_context
from response_network.users.models import User
from shared.exchange.keys import generate_keys
from tests.conftest import Databases
from tests.response_network.identity import login
from tests.services import PostgresCluster, run_postgres_cluster
from tests.waiting import until

BACKOFF = Backoff(first=0.05, most=0.2)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    with run_postgres_cluster(crash_safe=True) as cluster:
        yield cluster


@pytest.fixture
async def response_settings(
    cluster: PostgresCluster, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> ResponseSettings:
    databases = Databases(cluster.server, tmp_path_factory.mktemp("outage"))
    return ResponseSettings(
        environment="test",
        var_dir=tmp_path / "response",
        transfer_dir=tmp_path / "transfer",
        database_url=await databases.migrated("response", "production"),
        admin_password="correct horse battery staple",
        jobs_enabled=False,
    )


@pytest.fixture
async def response_runtime(response_settings: ResponseSettings) -> AsyncIterator[ResponseRuntime]:
    generate_keys(response_settings)
    runtime = ResponseRuntime.build(response_settings, registry, start_scheduler=False)
    runtime.jobs = InProcessRunner(registry, runtime, schedule=False, backoff=BACKOFF)
    yield runtime
    await runtime.close()


async def test_database_down_is_a_503_naming_it_jobs_retry_and_all_returns(
    response_runtime: ResponseRuntime,
    response_client: httpx.AsyncClient,
    admin: User,
    admin_headers: dict[str, str],
    cluster: PostgresCluster,
) -> None:
    assert (await response_client.get("/admin/users", headers=admin_headers)).status_code == 200
    outbox = transfer_context(response_runtime).outbox_dir

    cluster.stop()
    ready = await response_client.get("/health/ready")
    users = await response_client.get("/admin/users", headers=admin_headers)
    logged_in = await login(response_client, admin.username)
    # The new admin's row waits in the change log: this export fails on the outage.
    await response_runtime.jobs.enqueue("transfer_export")
    await until(
        lambda: _last_failure(response_runtime, "transfer_export"), what="the failed export"
    )

    assert (ready.status_code, ready.json()["detail"]) == (503, "not ready: database")
    for refused in (users, logged_in):
        assert refused.status_code == 503
        assert refused.json()["code"].startswith("unavailable.")
        assert refused.headers["Retry-After"] == "5"

    cluster.start()
    # Nobody enqueues the export again: its retry writes the batch.
    await until(lambda: _written(outbox), what="the export retry to write its batch")
    assert (await response_client.get("/health/ready")).status_code == 200
    assert (await response_client.get("/admin/users", headers=admin_headers)).status_code == 200
    assert (await login(response_client, admin.username)).status_code == 200


async def _last_failure(runtime: ResponseRuntime, job: str) -> bool:
    history = await job_history(runtime.cache, registry.get(job).name)
    return history.last_failure is not None


async def _written(outbox: Path) -> bool:
    return outbox.is_dir() and any(not path.name.startswith(".") for path in outbox.iterdir())
