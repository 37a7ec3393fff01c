"""The answering job on a real Celery worker: its own process builds the handler registry."""

from __future__ import annotations

import pytest

from response_network.responses.models import Response
from response_network.runtime import ResponseRuntime
from tests.integration.test_celery import response_worker  # noqa: F401 - a real worker
from tests.response_network.requests.conftest import Master
from tests.waiting import Started, until


@pytest.mark.parametrize("backend", ["production"], indirect=True)
async def test_a_celery_worker_answers_an_imported_request(
    master: Master,
    response_runtime: ResponseRuntime,
    response_worker: Started,  # noqa: F811
) -> None:
    request_id = await master.arrive("echo", parameters={"q": "from the worker"})

    await response_runtime.jobs.enqueue("answer_requests")

    async def answered() -> Response | None:
        response = await master.response(request_id)
        return response if response.status == "answered" else None

    response = await until(
        answered, what=f"the worker to answer {request_id}", watch=[response_worker]
    )
    assert (response.status, response.body, response.answered_by) == (
        "answered",
        {"q": "from the worker"},
        "handler:echo",
    )
