"""The answering job on a real Celery worker: its own process builds the handler registry."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from core.runtime import Runtime
from tests.integration.test_celery import response_worker  # noqa: F401 - a real worker
from tests.response_network.requests.conftest import Master


@pytest.mark.parametrize("backend", ["production"], indirect=True)
async def test_a_celery_worker_answers_an_imported_request(
    master: Master,
    response_runtime: Runtime,
    response_worker: subprocess.Popen[bytes],  # noqa: F811
) -> None:
    request_id = await master.arrive("echo", parameters={"q": "from the worker"})

    await response_runtime.jobs.enqueue("answer_requests")

    for _ in range(300):
        response = await master.response(request_id)
        if response.status == "answered":
            break
        assert response_worker.poll() is None, "worker died"
        await asyncio.sleep(0.1)
    assert (response.status, response.body, response.answered_by) == (
        "answered",
        {"q": "from the worker"},
        "handler:echo",
    )
