"""`GET /admin/tasks` on both networks: each job's schedule and last runs, the queue, workers.

Jobs run the way each backend runs them: enqueued on the in-process runner (embedded), or
through `run_job`, what a Celery worker calls (production; `tests/integration/test_celery.py`
has a real worker).
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from core.job_status import INSPECT_GRACE, INSPECT_TIMEOUT, tasks_overview
from core.jobs import InProcessRunner, Job, run_job
from core.runtime import Runtime
from request_network.auth.service import build_token_issuer as request_token_issuer
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.auth.service import build_token_issuer as response_token_issuer
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.users.models import Role, User
from tests.request_network.replica import insert_user


async def response_headers(
    runtime: ResponseRuntime, settings: ResponseSettings, role: Role = Role.ADMIN
) -> dict[str, str]:
    async with runtime.unit_of_work() as uow:
        user = User(
            username=f"tasks-{role.value}",
            email=f"tasks-{role.value}@example.org",
            display_name="",
            role=role,
            active=True,
            password_hash="unused: this user holds a token",
            version=1,
        )
        uow.session.add(user)
    return {"Authorization": f"Bearer {response_token_issuer(settings).issue(str(user.id))[0]}"}


async def request_headers(
    runtime: RequestRuntime, settings: RequestSettings, role: str = "admin"
) -> dict[str, str]:
    user = await insert_user(runtime, f"tasks-{role}", password_hash=None, role=role)
    return {"Authorization": f"Bearer {request_token_issuer(settings).issue(str(user.id))[0]}"}


async def run(runtime: Runtime[Any], name: str, **kwargs: Any) -> None:
    """Run job `name` once as this backend's runner does; a failure stays the runner's."""
    if isinstance(runtime.jobs, InProcessRunner):
        await runtime.jobs.enqueue(name, **kwargs)
        await runtime.jobs.drain()
    else:
        # A failure is logged and the task acknowledged, as on a worker.
        with contextlib.suppress(TypeError):
            await run_job(runtime.registry.get(name), runtime, kwargs)


async def job_of(client: httpx.AsyncClient, headers: dict[str, str], name: str) -> dict[str, Any]:
    answer = await client.get("/admin/tasks", headers=headers)
    assert answer.status_code == 200, answer.text
    return next(job for job in answer.json()["jobs"] if job["name"] == name)


async def test_a_run_shows_its_start_duration_and_outcome_and_a_failure_its_error(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    response_settings: ResponseSettings,
) -> None:
    headers = await response_headers(response_runtime, response_settings)
    never = await job_of(response_client, headers, "response.heartbeat")
    assert never["schedule"] == "every 10s"
    assert never["last_run"] is None

    before = datetime.now(UTC)
    await run(response_runtime, "heartbeat")
    after = datetime.now(UTC)
    ran = (await job_of(response_client, headers, "response.heartbeat"))["last_run"]
    assert before <= datetime.fromisoformat(ran["started_at"]) <= after
    assert 0 < ran["seconds"] <= (after - before).total_seconds()
    assert (ran["outcome"], ran["error"]) == ("ok", None)

    # A job called with an argument it does not take fails before it does anything.
    await run(response_runtime, "heartbeat", unexpected=1)
    failed = await job_of(response_client, headers, "response.heartbeat")
    assert failed["last_run"]["outcome"] == "failed"
    assert "TypeError" in failed["last_run"]["error"]
    assert "unexpected" in failed["last_run"]["error"]
    assert failed["last_failure"] == failed["last_run"]

    await run(response_runtime, "heartbeat")
    recovered = await job_of(response_client, headers, "response.heartbeat")
    assert recovered["last_run"]["outcome"] == "ok"
    assert recovered["last_failure"] == failed["last_run"]


async def test_the_request_network_shows_its_own_jobs(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    request_settings: RequestSettings,
) -> None:
    headers = await request_headers(request_runtime, request_settings)
    await run(request_runtime, "heartbeat")
    answer = await request_client.get("/admin/tasks", headers=headers)
    assert answer.status_code == 200
    jobs = {job["name"]: job for job in answer.json()["jobs"]}
    assert set(jobs) == set(request_runtime.registry.jobs)
    assert all(name.startswith("request.") for name in jobs)
    assert jobs["request.heartbeat"]["last_run"]["outcome"] == "ok"
    assert jobs["request.transfer_export"]["last_run"] is None


async def test_plain_users_are_refused_on_both_networks(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    response_settings: ResponseSettings,
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    request_settings: RequestSettings,
) -> None:
    on_response = await response_client.get(
        "/admin/tasks",
        headers=await response_headers(response_runtime, response_settings, Role.USER),
    )
    on_request = await request_client.get(
        "/admin/tasks", headers=await request_headers(request_runtime, request_settings, "user")
    )
    assert (on_response.status_code, on_request.status_code) == (403, 403)
    assert on_response.json()["code"].startswith("forbidden")


async def test_the_queue_counts_jobs_waiting_and_a_missing_worker_is_said(
    backend: str, response_runtime: ResponseRuntime
) -> None:
    # The runtime's runner is not started: enqueued jobs wait (in-process) or sit in Redis.
    await response_runtime.jobs.enqueue("heartbeat")
    await response_runtime.jobs.enqueue("answer_requests")
    started = time.perf_counter()
    overview = await tasks_overview(
        registry=response_runtime.registry,
        cache=response_runtime.cache,
        runner=response_runtime.jobs,
        redis=response_runtime.redis,
    )
    took = time.perf_counter() - started
    assert overview.queue_length == 2
    assert overview.workers == []
    if backend == "embedded":
        assert (overview.runner, overview.queue) == ("in-process", None)
        assert overview.note is not None
        assert "embedded" in overview.note
    else:
        assert (overview.runner, overview.queue) == ("celery", "airlock.response")
        assert overview.note == f"no worker answered within {INSPECT_TIMEOUT:g} s"
        assert took < INSPECT_TIMEOUT + INSPECT_GRACE


@pytest.mark.parametrize("backend", ["embedded"], indirect=True)
async def test_a_long_multiline_error_is_kept_as_one_bounded_line(
    response_runtime: ResponseRuntime,
) -> None:
    registry = response_runtime.registry
    job = registry.get("heartbeat")

    async def explode(runtime: Runtime[Any]) -> None:
        raise RuntimeError("first line " + "x" * 1000 + "\nsecond line")

    failing = Job(job.name, explode, job.every)
    with pytest.raises(RuntimeError):
        await run_job(failing, response_runtime, {})
    overview = await tasks_overview(
        registry=registry, cache=response_runtime.cache, runner=response_runtime.jobs, redis=None
    )
    status = next(item for item in overview.jobs if item.name == job.name)
    assert status.last_run is not None
    assert status.last_run.error is not None
    error = status.last_run.error
    assert error.startswith("RuntimeError: first line xxx")
    assert "second line" not in error
    assert len(error) <= 300
