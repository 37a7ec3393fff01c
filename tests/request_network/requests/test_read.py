"""Reading requests: your own (an admin: all), filtered, paged; history; monitoring."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from core.jobs import InProcessRunner
from core.runtime import Runtime
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.transfer.models import OutboxBatch
from request_network.transfer.service import transfer_context
from request_network.users.models import User
from shared.exchange.export import export_all
from shared.exchange.keys import generate_keys
from tests.request_network.conftest import ReplicaUserFactory
from tests.request_network.requests.conftest import Headers, Submit


async def jobs_done(runtime: Runtime[Any]) -> None:
    """Embedded: wait for the jobs the requests enqueued (production has no worker here)."""
    if isinstance(runtime.jobs, InProcessRunner):
        await runtime.jobs.drain()


async def exported_records(runtime: Runtime[Any]) -> int:
    async with runtime.unit_of_work() as uow:
        total = await uow.session.scalar(
            select(func.sum(OutboxBatch.record_count)).where(OutboxBatch.stream == "requests")
        )
    return int(total or 0)


async def test_a_user_lists_only_their_own_requests_an_admin_all(
    submit: Submit,
    alice: User,
    replica_user: ReplicaUserFactory,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    bob = await replica_user("bob")
    admin = await replica_user("root", role="admin")
    mine = (await submit(alice)).json()["id"]
    await submit(bob)

    own = await request_client.get("/requests", headers=auth(alice))
    every = await request_client.get("/requests", headers=auth(admin))

    assert [item["id"] for item in own.json()["items"]] == [mine]
    assert len(every.json()["items"]) == 2


async def test_filters_and_cursor_pages_cover_every_request_once(
    submit: Submit,
    alice: User,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    ids = [(await submit(alice)).json()["id"] for _ in range(5)]
    await submit(alice, request_type="census")
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"request_type": "weather", "status": "pending", "limit": "2"}
        page = await request_client.get(
            "/requests", params=params | ({"cursor": cursor} if cursor else {}), headers=auth(alice)
        )
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(ids))


async def test_created_range_and_bad_cursors(
    submit: Submit,
    alice: User,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    await submit(alice)
    later = await request_client.get(
        "/requests", params={"created_from": "2999-01-01T00:00:00Z"}, headers=auth(alice)
    )
    earlier = await request_client.get(
        "/requests", params={"created_to": "2999-01-01T00:00:00Z"}, headers=auth(alice)
    )
    naive = await request_client.get(
        "/requests", params={"created_to": "2999-01-01T00:00:00"}, headers=auth(alice)
    )
    forged = await request_client.get("/requests", params={"cursor": "bm9wZQ"}, headers=auth(alice))

    assert (len(later.json()["items"]), len(earlier.json()["items"])) == (0, 1)
    assert naive.status_code == 422
    assert (forged.status_code, forged.json()["code"]) == (422, "invalid.cursor")


async def test_a_request_shows_its_history_and_is_hidden_from_others(
    submit: Submit,
    alice: User,
    replica_user: ReplicaUserFactory,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    bob = await replica_user("bob")
    location = (await submit(alice)).headers["Location"]

    own = await request_client.get(location, headers=auth(alice))
    other = await request_client.get(location, headers=auth(bob))

    assert own.status_code == 200
    assert [event["status"] for event in own.json()["history"]] == ["pending"]
    assert (other.status_code, other.json()["code"]) == (404, "not_found.request")


async def test_export_carries_the_request_and_marks_it_exported(
    submit: Submit,
    alice: User,
    request_runtime: RequestRuntime,
    request_settings: RequestSettings,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    generate_keys(request_settings)
    submitted = (await submit(alice, parameters={"city": "Bergen"}, priority=2)).json()
    await jobs_done(request_runtime)

    await export_all(transfer_context(request_runtime))
    again = await export_all(transfer_context(request_runtime))
    detail = await request_client.get(f"/requests/{submitted['id']}", headers=auth(alice))

    assert await exported_records(request_runtime) == 1
    assert sum(result.records for result in again) == 0
    assert detail.json()["status"] == "exported"
    assert [event["status"] for event in detail.json()["history"]] == ["pending", "exported"]


async def test_a_submission_is_queued_for_export_as_soon_as_it_commits(
    submit: Submit,
    alice: User,
    request_runtime: RequestRuntime,
    request_settings: RequestSettings,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    generate_keys(request_settings)
    submitted = (await submit(alice)).json()
    keyed = await submit(alice, key="once")
    replay = await submit(alice, key="once")

    if isinstance(request_runtime.jobs, InProcessRunner):
        # Embedded: the export already ran in this process, long before the 2 s schedule.
        await request_runtime.jobs.drain()
        detail = await request_client.get(f"/requests/{submitted['id']}", headers=auth(alice))
        assert detail.json()["status"] == "exported"
        assert await exported_records(request_runtime) == 2
    else:
        # Production: one message on the Celery queue for both created requests (no worker
        # has started it, so the second joins it), none for a replay.
        assert request_runtime.redis is not None
        queued = await request_runtime.redis.lrange("airlock.request", 0, -1)  # type: ignore[misc]
        tasks = [json.loads(message)["headers"]["task"] for message in queued]
        assert tasks == ["request.transfer_export"]
    assert (keyed.status_code, replay.status_code) == (201, 200)


async def test_the_monitor_counts_by_status_and_ages_the_oldest_unanswered(
    submit: Submit,
    alice: User,
    replica_user: ReplicaUserFactory,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    admin = await replica_user("root", role="admin")
    empty = await request_client.get("/admin/requests", headers=auth(admin))
    await submit(alice)
    await submit(alice)

    figures = await request_client.get("/admin/requests", headers=auth(admin))

    assert empty.json()["oldest_unanswered_age_seconds"] is None
    assert figures.json()["counts"]["pending"] == 2
    assert figures.json()["total"] == 2
    assert 0 <= figures.json()["oldest_unanswered_age_seconds"] < 60
