"""The production log: one JSON object per line, naming the request, the user, the route, the
status and the latency, and never a password or a request's parameters."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import structlog

from core.jobs import InProcessRunner
from core.logging import configure_logging
from core.security import hash_password
from request_network.auth.service import build_token_issuer
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from tests.request_network.catalog.test_submissions import replica_profile, replica_type
from tests.request_network.replica import insert_user

PASSWORD = "hunter2-correct-horse"
SECRET_CITY = "Zanzibar-7f3a"
"""A parameter value: payloads stay out of the log as much as passwords do."""

LogLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """Production logging (JSON, DEBUG) into a buffer; the previous set-up comes back after."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging(level="DEBUG", json=True, network="request")
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    yield lines
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    structlog.reset_defaults()


@pytest.fixture
async def weather(request_runtime: RequestRuntime) -> None:
    async with request_runtime.unit_of_work() as uow:
        uow.session.add_all([replica_type("weather"), replica_profile(allow_all=True)])


async def _log_in(client: httpx.AsyncClient, password: str) -> httpx.Response:
    return await client.post("/auth/token", data={"username": "alice", "password": password})


async def test_login_and_submission_leave_no_password_and_no_parameters_in_the_log(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    weather: None,
    log_lines: LogLines,
) -> None:
    alice = await insert_user(request_runtime, "alice", password_hash=hash_password(PASSWORD))

    refused = await _log_in(request_client, PASSWORD + "-wrong")
    token = (await _log_in(request_client, PASSWORD)).json()["access_token"]
    submitted = await request_client.post(
        "/requests",
        json={"request_type": "weather", "parameters": {"city": SECRET_CITY}},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-submit-1"},
    )

    assert (refused.status_code, submitted.status_code) == (401, 201)
    assert submitted.headers["X-Request-ID"] == "req-submit-1"
    lines = log_lines()
    text = "\n".join(json.dumps(line) for line in lines)
    assert PASSWORD not in text
    assert SECRET_CITY not in text
    assert token not in text
    [access] = [line for line in lines if line.get("request_id") == "req-submit-1"][-1:]
    assert access["event"] == "http_request"
    assert (access["method"], access["route"], access["status"]) == ("POST", "/requests", 201)
    assert access["user_id"] == str(alice.id)
    assert access["network"] == "request"
    assert isinstance(access["latency_ms"], float)
    assert {"timestamp", "level"} <= set(access)
    logins = [line for line in lines if line.get("route") == "/auth/token"]
    assert [line["status"] for line in logins] == [401, 200]
    assert all("user_id" not in line for line in logins)


async def test_the_route_template_is_logged_not_the_path(
    request_client: httpx.AsyncClient, request_runtime: RequestRuntime, log_lines: LogLines
) -> None:
    await request_client.get("/requests/00000000-0000-0000-0000-00000000beef")
    await request_client.get("/no/such/thing")

    routes = [line["route"] for line in log_lines() if line["event"] == "http_request"]
    assert routes == ["/requests/{request_id}", "unmatched"]


@pytest.mark.parametrize("backend", ["embedded"], indirect=True)
async def test_a_job_enqueued_by_a_request_logs_that_request_id(
    request_client: httpx.AsyncClient,
    request_settings: RequestSettings,
    request_runtime: RequestRuntime,
    weather: None,
    log_lines: LogLines,
) -> None:
    """The in-process runner; Celery's is in test_metrics_multiprocess.py (a real worker)."""
    alice = await insert_user(request_runtime, "alice", password_hash=None)
    bearer = build_token_issuer(request_settings).issue(str(alice.id))[0]

    answer = await request_client.post(
        "/requests",
        json={"request_type": "weather", "parameters": {"city": "Oslo"}},
        headers={"Authorization": f"Bearer {bearer}", "X-Request-ID": "req-job-7"},
    )
    assert isinstance(request_runtime.jobs, InProcessRunner)
    await request_runtime.jobs.drain()

    assert answer.status_code == 201
    jobs = [line for line in log_lines() if line.get("job") == "request.transfer_export"]
    assert jobs, "the submission enqueues an export"
    assert {line["request_id"] for line in jobs} == {"req-job-7"}


def test_lines_below_the_level_are_left_out() -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    buffer = io.StringIO()
    try:
        configure_logging(level="WARNING", json=True, network="request")
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(buffer)
        log = structlog.get_logger("airlock.test")
        log.info("routine")
        log.warning("unusual", detail=1)
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        structlog.reset_defaults()
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [(line["event"], line["level"]) for line in lines] == [("unusual", "warning")]
