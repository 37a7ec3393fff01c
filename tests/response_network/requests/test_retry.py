"""An admin retries failed requests: one by id, or every one a filter matches."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from core.db import utcnow
from core.jobs import InProcessRunner
from request_network.settings import RequestSettings
from response_network.catalog.models import RequestType
from response_network.users.models import User
from tests.response_network.requests.conftest import Headers, HeadersFor, Master
from tests.response_network.requests.crossing import crossing
from tests.shared.exchange.conftest import Networks


async def fail(client: httpx.AsyncClient, request_id: uuid.UUID, as_: Headers, reason: str) -> None:
    failed = await client.post(
        f"/requests/{request_id}/response",
        json={"status": "failed", "reason": reason},
        headers=as_,
    )
    assert failed.status_code == 200, failed.text


async def retry(
    client: httpx.AsyncClient, as_: Headers, request_id: uuid.UUID | None = None, **body: Any
) -> httpx.Response:
    if request_id is not None:
        return await client.post(f"/admin/requests/{request_id}/retry", headers=as_)
    return await client.post("/admin/requests/retry", json=body, headers=as_)


async def test_a_failed_request_retried_is_answered_and_the_request_network_sees_it(
    networks: Networks,
    master: Master,
    request_settings: RequestSettings,
    response_client: httpx.AsyncClient,
    admin: User,
    headers: HeadersFor,
) -> None:
    both = await crossing(networks, master, request_settings)
    request_id = await both.submit("echo")
    await both.to_master()
    root = headers(admin)
    await fail(response_client, request_id, root, "upstream down")
    await both.back()
    assert (await both.seen_here(request_id))[0] == "failed"

    retried = await retry(response_client, root, request_id)

    assert retried.status_code == 200, retried.text
    assert {k: retried.json()[k] for k in ("status", "status_reason", "attempts", "retries")} == {
        "status": "received",
        "status_reason": None,
        "attempts": 0,
        "retries": 1,
    }
    [audited] = await master.audit("request.retry")
    assert audited.actor_name == "root"
    assert audited.details is not None
    assert (audited.details["reason"], audited.details["attempts"]) == ("upstream down", 0)
    # Back on the answering path: the embedded runner answers it at once (the retry enqueued
    # the job), in production a worker's run does.
    if isinstance(master.runtime.jobs, InProcessRunner):
        await master.runtime.jobs.drain()
    else:
        await master.answer()
    await both.back()
    status, history = await both.seen_here(request_id)
    assert status == "answered"
    assert history[history.index("failed") + 1 :][-1] == "answered"
    assert (await master.response(request_id)).answer_number == 1


async def test_a_retried_manual_request_is_back_in_the_operator_queue(
    master: Master, response_client: httpx.AsyncClient, admin: User, headers: HeadersFor
) -> None:
    request_id = await master.arrive("manual")
    root = headers(admin)
    await fail(response_client, request_id, root, "nobody knew")

    assert (await retry(response_client, root, request_id)).status_code == 200

    queue = (await response_client.get("/requests", headers=root)).json()["items"]
    assert [(item["id"], item["status"]) for item in queue] == [(str(request_id), "received")]


async def test_bulk_retry_takes_the_failed_requests_a_filter_matches_and_says_how_many(
    master: Master, response_client: httpx.AsyncClient, admin: User, headers: HeadersFor
) -> None:
    root = headers(admin)
    upstream = [await master.arrive("echo") for _ in range(3)]
    other_reason = await master.arrive("echo")
    other_type = await master.arrive("count")
    waiting = await master.arrive("manual")
    for request_id in [*upstream, other_type]:
        await fail(response_client, request_id, root, "Upstream down (50% of calls)")
    await fail(response_client, other_reason, root, "bad question")

    first = await retry(
        response_client, root, request_type="echo", reason="upstream DOWN (50%", limit=2
    )
    rest = await retry(response_client, root, request_type="echo", reason="upstream down (50%")

    assert first.status_code == 200, first.text
    assert first.json() == {"retried": 2, "skipped": 0, "limit": 2, "more": True}
    assert rest.json() == {"retried": 1, "skipped": 0, "limit": 1000, "more": False}
    # The retried ones are on the answering path again (the embedded runner may have taken
    # them already): counted as retried, no longer failed.
    seen = [await master.request(i) for i in [*upstream, other_reason, other_type, waiting]]
    assert [(r.retries, r.status == "failed") for r in seen] == [
        *[(1, False)] * 3,
        (0, True),
        (0, True),
        (0, False),
    ]
    assert len(await master.audit("request.retry")) == 3
    bulk = await master.audit("request.retry_bulk")
    assert [event.details and event.details["retried"] for event in bulk] == [2, 1]


async def test_bulk_retry_bounds_the_time_of_failure_and_skips_deleted_types(
    master: Master, response_client: httpx.AsyncClient, admin: User, headers: HeadersFor
) -> None:
    root = headers(admin)
    old, recent, gone = [await master.arrive(t) for t in ("echo", "echo", "count")]
    for request_id in (old, recent, gone):
        await fail(response_client, request_id, root, "timeout")
    await master.later(old, updated_at=utcnow() - timedelta(days=2))
    await _delete_type(master, "count")
    since = (utcnow() - timedelta(days=1)).isoformat()

    answer = await retry(response_client, root, failed_from=since)

    assert answer.json() == {"retried": 1, "skipped": 1, "limit": 1000, "more": False}
    seen = [await master.request(i) for i in (old, recent, gone)]
    assert [(r.retries, r.status == "failed") for r in seen] == [(0, True), (1, False), (0, True)]
    naive = await retry(response_client, root, failed_from="2026-01-01T00:00:00")
    assert naive.status_code == 422


async def _delete_type(master: Master, name: str) -> None:
    async with master.runtime.unit_of_work() as uow:
        await uow.session.execute(
            update(RequestType).where(RequestType.name == name).values(deleted_at=utcnow())
        )


@pytest.mark.parametrize(
    ("change", "said"),
    [({"deleted_at": utcnow()}, "was deleted"), ({"active": False}, "is not active")],
)
async def test_a_request_whose_type_was_deleted_or_deactivated_is_not_retried(
    master: Master,
    response_client: httpx.AsyncClient,
    admin: User,
    headers: HeadersFor,
    change: dict[str, Any],
    said: str,
) -> None:
    root = headers(admin)
    request_id = await master.arrive("echo")
    await fail(response_client, request_id, root, "upstream down")
    async with master.runtime.unit_of_work() as uow:
        await uow.session.execute(
            update(RequestType).where(RequestType.name == "echo").values(**change)
        )
    before = await master.response(request_id)

    refused = await retry(response_client, root, request_id)

    assert refused.status_code == 409
    assert refused.json()["code"] == "conflict.request_type"
    assert said in refused.json()["detail"]
    request = await master.request(request_id)
    assert (request.status, request.retries) == ("failed", 0)
    assert (await master.response(request_id)).version == before.version
    assert await master.audit("request.retry") == []


async def test_only_a_failed_request_is_retried(
    master: Master,
    response_client: httpx.AsyncClient,
    admin: User,
    operator: User,
    headers: HeadersFor,
) -> None:
    waiting = await master.arrive("manual")

    refused = await retry(response_client, headers(admin), waiting)
    by_operator = await retry(response_client, headers(operator), waiting)
    missing = await retry(response_client, headers(admin), uuid.uuid4())

    assert refused.status_code == 409
    assert (refused.json()["code"], refused.json()["status"]) == ("conflict.not_failed", "received")
    assert by_operator.status_code == 403
    assert missing.status_code == 404
    request = await master.request(waiting)
    assert (request.status, request.retries, request.version) == ("received", 0, 1)
    assert await master.audit("request.retry") == []
