"""Several processes, one `/metrics`: with PROMETHEUS_MULTIPROC_DIR set, a job a real Celery
worker runs shows on the API's metrics, and the worker logs it under the request id of the
request that enqueued it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, values
from prometheus_client.multiprocess import MultiProcessCollector

from core.logging import bind_request_id
from response_network.app import create_app
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from tests.ops.processes import clean_env
from tests.ops.test_metrics import sample
from tests.waiting import Started, scaled, start_module, until

RUNS = "airlock_job_runs_total"


@pytest.fixture
def multiprocess_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test process plays an API process started with PROMETHEUS_MULTIPROC_DIR: the
    metrics it creates from now on keep their values in files there, as the worker's do."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue())  # type: ignore[no-untyped-call]
    return directory


@pytest.fixture
def worker_log(tmp_path: Path) -> Path:
    return tmp_path / "worker.log"


@pytest.fixture
def response_worker(
    multiprocess_dir: Path, response_settings: ResponseSettings, tmp_path: Path, worker_log: Path
) -> Iterator[Started]:
    env = clean_env(
        PROMETHEUS_MULTIPROC_DIR=str(multiprocess_dir),
        AIRLOCK_RESPONSE_DATABASE_URL=response_settings.resolved_database_url,
        AIRLOCK_RESPONSE_REDIS_URL=str(response_settings.redis_url),
        AIRLOCK_RESPONSE_VAR_DIR=str(tmp_path / "worker"),
        AIRLOCK_RESPONSE_LOG_JSON="true",
    )
    worker = start_module(
        worker_log.stem,
        *("response_network", "worker", "--concurrency", "1"),
        log_dir=worker_log.parent,
        env=env,
    )
    yield worker
    worker.stop()


def json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.mark.parametrize("backend", ["production"], indirect=True)
async def test_a_job_run_by_a_celery_worker_shows_on_the_api_metrics_under_its_request_id(
    multiprocess_dir: Path,
    response_settings: ResponseSettings,
    response_runtime: ResponseRuntime,
    response_worker: Started,
    worker_log: Path,
) -> None:
    response_settings.prometheus_multiproc_dir = multiprocess_dir
    app = create_app(response_settings, response_runtime)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        with bind_request_id("req-celery-42"):
            await response_runtime.jobs.enqueue("audit_retention")

        async def metrics_with_the_run() -> str | None:
            text = (await client.get("/metrics")).text
            runs = sample(text, RUNS, job="response.audit_retention", outcome="success")
            return text if runs else None

        text = await until(
            metrics_with_the_run, what="the worker's job run on /metrics", watch=[response_worker]
        )

    assert sample(text, RUNS, job="response.audit_retention", outcome="success") == 1.0
    # This process's own metrics are there too, next to the worker's.
    assert sample(text, "airlock_http_requests_total", route="/metrics") is not None
    # The job's own line (INFO: the worker runs at that level) carries the request's id.
    purged = [line for line in json_lines(worker_log) if line.get("event") == "audit_purged"]
    assert [line.get("request_id") for line in purged] == ["req-celery-42"]


# Two containers' processes: each container numbers its processes from 1, so both are pid 7.
CONTAINER_PROCESS = """
import os, sys
os.getpid = lambda: 7  # before prometheus-client binds it as its default identifier
import core.metrics  # noqa: F401  (names this process's files)
from prometheus_client import CollectorRegistry, Counter

counter = Counter("airlock_test_total", "t", registry=CollectorRegistry())
print("ready", flush=True)
sys.stdin.readline()  # both have opened their files: now both count
counter.inc(int(sys.argv[1]))
"""


def test_processes_of_two_containers_with_one_pid_keep_separate_counts(
    multiprocess_dir: Path,
) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CONTAINER_PROCESS, str(amount)],
            env=clean_env(PROMETHEUS_MULTIPROC_DIR=str(multiprocess_dir), HOSTNAME=host),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for host, amount in (("api_1", 3), ("worker-1", 4))
    ]
    for process in processes:
        assert process.stdout is not None
        assert process.stdout.readline() == b"ready\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        process.stdin.close()
    assert [process.wait(scaled(30)) for process in processes] == [0, 0]

    assert sorted(path.name for path in multiprocess_dir.iterdir()) == [
        "counter_api-1-7.db",
        "counter_worker-1-7.db",
    ]
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
    assert registry.get_sample_value("airlock_test_total") == 7
