"""validate_setup.sh: each check's failure, one at a time, against the real backends.

Against a whole running system it runs where one is started anyway: `make run` in
tests/e2e/test_dev.py, PostgreSQL + Redis + Celery in tests/e2e/test_round_trip.py."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from core.db import utcnow
from response_network.app import create_app
from response_network.bootstrap import MIGRATIONS as RESPONSE_MIGRATIONS
from response_network.jobs import registry
from response_network.operations.models import WorkerHeartbeat
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from shared.platform.validate import (
    Check,
    Compose,
    Mode,
    Target,
    run_validation,
    validate_network,
)
from tests.ops.processes import (
    ROOT,
    clean_env,
)
from tests.ops.validating import validate_setup
from tests.services import free_port, wait_for_port

# ---- each check's failure, in-process against the real backends


def target(settings: ResponseSettings, api_url: str = "", **overrides: object) -> Target:
    values: dict[str, object] = {
        "settings": settings,
        "migrations": RESPONSE_MIGRATIONS,
        "heartbeats": WorkerHeartbeat,
        "registry": registry,
        "api_url": api_url or f"http://127.0.0.1:{free_port()}",
        "min_free_bytes": 1,
    }
    values.update(overrides)
    return Target(**values)  # type: ignore[arg-type]


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


async def test_a_fresh_network_that_never_ran_fails_what_is_missing(
    backend: str, response_settings: ResponseSettings
) -> None:
    report = await validate_network(target(response_settings))
    checks = by_name(report.checks)

    assert checks["migrations"].ok
    failed = {name for name, check in checks.items() if not check.ok}
    expected = {"api", "clock", "ready", "jobs" if backend == "embedded" else "beat"}
    expected |= {"transfer", "keys"} | ({"workers"} if backend == "production" else set())
    assert failed == expected
    assert checks["transfer"].detail.endswith("transfer does not exist")
    assert "does not answer" in checks["api"].detail
    assert checks["keys"].detail.startswith("signing key ")
    assert "missing" in checks["keys"].detail
    if backend == "production":
        assert checks["redis"].ok
        assert checks["workers"].detail == "no Celery worker consumes airlock.response"
        assert "airlock-response worker" in checks["workers"].fix


async def test_heartbeats_must_be_fresh_and_the_transfer_dir_roomy(
    response_settings: ResponseSettings, response_runtime: ResponseRuntime
) -> None:
    response_settings.resolved_transfer_dir.mkdir(parents=True)
    async with response_runtime.unit_of_work() as uow:
        uow.session.add(
            WorkerHeartbeat(
                worker="jobs@old:1",
                hostname="old",
                pid=1,
                last_seen_at=utcnow() - timedelta(minutes=10),
            )
        )
    only = ["jobs", "transfer"]
    stale = by_name((await validate_network(target(response_settings), only)).checks)
    name = "jobs" if response_settings.embedded else "beat"
    assert stale[name].ok is False
    assert stale[name].detail.startswith("last heartbeat 6")
    assert stale[name].detail.endswith("s ago (due every 10s)")
    assert stale["transfer"].ok

    async with response_runtime.unit_of_work() as uow:
        uow.session.add(
            WorkerHeartbeat(worker="jobs@new:2", hostname="new", pid=2, last_seen_at=utcnow())
        )
    full = target(response_settings, min_free_bytes=2**62)
    fresh = by_name((await validate_network(full, only)).checks)
    assert fresh[name].ok
    assert fresh[name].detail.endswith("s ago by jobs@new:2")
    assert fresh["transfer"].ok is False
    assert "MiB free, under" in fresh["transfer"].detail


async def test_unreachable_database_and_redis_are_named(tmp_path: Path) -> None:
    settings = ResponseSettings(
        var_dir=tmp_path,
        database_url=f"postgresql+asyncpg://airlock:hunter2@127.0.0.1:{free_port()}/gone",
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
    )
    report = await validate_network(target(settings), ["migrations", "redis", "jobs", "workers"])
    checks = by_name(report.checks)

    assert not any(check.ok for check in report.checks)
    assert checks["migrations"].detail.startswith("database 127.0.0.1:")
    assert "not reachable" in checks["migrations"].detail
    assert checks["redis"].fix == "start Redis, check AIRLOCK_RESPONSE_REDIS_URL"
    assert checks["beat"].detail.startswith("cannot read heartbeats")
    assert checks["workers"].detail.startswith("cannot ask")
    assert "hunter2" not in " ".join(check.line() for check in report.checks)


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.mark.parametrize("backend", ["embedded"], indirect=True)
async def test_an_api_that_is_up_but_not_ready_names_the_dependency(
    response_settings: ResponseSettings,
) -> None:
    # The transfer directory is a file: the API answers, its readiness check fails.
    response_settings.resolved_transfer_dir.parent.mkdir(parents=True, exist_ok=True)
    response_settings.resolved_transfer_dir.write_text("not a directory")
    app = create_app(response_settings)
    with serving(app) as url:
        report = await validate_network(target(response_settings, url), ["api", "ready", "clock"])
    checks = by_name(report.checks)

    assert checks["api"].ok
    assert checks["clock"].ok
    assert checks["ready"].ok is False
    assert checks["ready"].detail == "not ready (transfer_dir failed: FileExistsError)"


class SkewedClock(BaseHTTPRequestHandler):
    """Stands for an API host whose clock is five minutes behind."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        return format_datetime(datetime.now(UTC) - timedelta(minutes=5), usegmt=True)

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


async def test_a_clock_minutes_off_fails(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SkewedClock)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        settings = ResponseSettings(var_dir=tmp_path)
        report = await validate_network(target(settings, url), ["api", "clock"])
    finally:
        server.shutdown()
    checks = by_name(report.checks)
    assert checks["api"].ok
    # (the Date header counts whole seconds)
    assert re.fullmatch(
        r"FAIL  response clock: the API's clock is 30[01]s off this machine's - fix: "
        r"synchronise the clocks of both networks' machines \(NTP\)",
        checks["clock"].line(),
    )


def test_compose_mode_without_running_containers_says_how_to_start_them() -> None:
    compose = Compose(ROOT / "docker-compose.dev.yml", ROOT / "no-such.env")
    checks = run_validation(
        mode=Mode.COMPOSE, networks=["request"], compose=compose, passthrough=[]
    )
    assert [check.line() for check in checks] == [
        "FAIL  request api: no request-api container is running - fix: "
        "`make up PROFILE=request` (or all)"
    ]


def test_a_network_whose_settings_are_wrong_is_one_fail_line(tmp_path: Path) -> None:
    env = clean_env(AIRLOCK_REQUEST_PORT="99999")
    code, lines = validate_setup(tmp_path, env, "--network", "request")
    assert code == 1
    assert lines == [
        "FAIL  request settings: error: setting AIRLOCK_REQUEST_PORT is invalid: Input should "
        "be less than or equal to 65535 - fix: correct the setting named here"
    ]


def test_an_unknown_check_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "response_network", "validate", "--only", "api,uptime"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: unknown check uptime; known: api, ready, clock, migrations, redis, workers, "
        "jobs, transfer, keys"
    )


def test_one_network_alone_prints_its_own_lines(tmp_path: Path) -> None:
    env = clean_env(AIRLOCK_RESPONSE_VAR_DIR=str(tmp_path / "var"))
    os.makedirs(tmp_path / "var" / "transfer")
    done = subprocess.run(
        [sys.executable, "-m", "response_network", "validate", "--only", "transfer,migrations"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"FAIL  response migrations: no database at {tmp_path / 'var' / 'response.db'} - fix: "
        "`airlock-response init` (or `make run`) creates it",
        done.stdout.splitlines()[1],
    ]
    assert done.stdout.splitlines()[1].startswith(
        f"ok    response transfer: {tmp_path / 'var' / 'transfer'} writable, "
    )
