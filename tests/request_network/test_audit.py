"""The request network's audit trail: admins read it with filters and pages, nobody changes
it over HTTP, and the retention job deletes what is older than the setting, audibly."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core.audit import Actor, AuditResult, record_audit
from core.db import utcnow
from core.jobs import run_job
from core.runtime import Runtime
from request_network.audit.models import AuditEvent
from request_network.auth.service import build_token_issuer
from request_network.jobs import registry
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.users.models import User
from tests.request_network.replica import insert_user

OPERATOR = Actor(id=uuid.uuid4(), name="olga", address="10.0.0.7")
SYSTEM = Actor(id=None, name="transfer")
Headers = dict[str, str]


@pytest.fixture
async def admin(request_runtime: RequestRuntime) -> User:
    return await insert_user(request_runtime, "root", password_hash=None, role="admin")


@pytest.fixture
def admin_headers(request_settings: RequestSettings, admin: User) -> Headers:
    return {
        "Authorization": f"Bearer {build_token_issuer(request_settings).issue(str(admin.id))[0]}"
    }


async def add_event(
    runtime: Runtime[Any],
    *,
    at: datetime,
    actor: Actor = SYSTEM,
    action: str = "test.step",
    object_type: str = "step",
    object_id: object | None = None,
) -> None:
    async with runtime.unit_of_work() as uow:
        event = record_audit(
            session=uow.session,
            model=AuditEvent,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            result=AuditResult.SUCCESS,
        )
        event.occurred_at = at  # still pending: written once, as if it happened then


async def read(
    client: httpx.AsyncClient, headers: Headers, **params: Any
) -> tuple[int, dict[str, Any]]:
    answer = await client.get("/admin/audit", params=params, headers=headers)
    return answer.status_code, answer.json()


async def test_an_admin_action_shows_in_the_trail_with_who_and_from_where(
    request_client: httpx.AsyncClient, admin: User, admin_headers: Headers
) -> None:
    cleared = await request_client.delete("/admin/cache/clear", headers=admin_headers)

    status, page = await read(request_client, admin_headers, actor_id=str(admin.id))

    assert (cleared.status_code, status) == (200, 200)
    [event] = page["items"]
    assert (event["action"], event["object_type"], event["actor_name"]) == (
        "cache.clear",
        "cache",
        "root",
    )
    assert event["client_address"] == "127.0.0.1"
    assert page["next_cursor"] is None


async def test_filters_by_actor_action_object_and_time_range(
    request_client: httpx.AsyncClient, request_runtime: RequestRuntime, admin_headers: Headers
) -> None:
    now = utcnow()
    day = timedelta(days=1)
    await add_event(request_runtime, at=now - 3 * day, object_id=1)
    await add_event(request_runtime, at=now - 2 * day, actor=OPERATOR, object_id=2)
    await add_event(request_runtime, at=now - day, action="other", object_type="user")
    await add_event(request_runtime, at=now - day, object_type="user", object_id=3)

    def ids(page: dict[str, Any]) -> list[str | None]:
        return [item["object_id"] for item in page["items"]]

    by_actor = await read(request_client, admin_headers, actor_id=str(OPERATOR.id))
    by_name = await read(request_client, admin_headers, actor_name="transfer")
    by_action = await read(request_client, admin_headers, action="test.step")
    by_object = await read(request_client, admin_headers, object_type="user", object_id="3")
    in_range = await read(
        request_client,
        admin_headers,
        **{"from": (now - 3 * day).isoformat(), "to": (now - day).isoformat()},
    )
    naive_from = (now - 36 * timedelta(hours=1)).replace(tzinfo=None).isoformat()
    since_naive = await read(request_client, admin_headers, **{"from": naive_from})

    assert ids(by_actor[1]) == ["2"]
    assert set(ids(by_name[1])) == {"3", None, "1"}
    assert ids(by_action[1]) == ["3", "2", "1"]
    assert ids(by_object[1]) == ["3"]
    assert ids(in_range[1]) == ["2", "1"]  # `from` inclusive, `to` exclusive
    assert set(ids(since_naive[1])) == {"3", None}  # a time without offset is UTC


async def test_pages_follow_each_other_within_a_time_range(
    request_client: httpx.AsyncClient, request_runtime: RequestRuntime, admin_headers: Headers
) -> None:
    start = utcnow() - timedelta(hours=10)
    for hour in range(7):
        await add_event(request_runtime, at=start + timedelta(hours=hour), object_id=hour)
    window = {
        "from": (start + timedelta(hours=1)).isoformat(),
        "to": (start + timedelta(hours=6)).isoformat(),
    }

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {**window, "limit": 2} | ({"cursor": cursor} if cursor else {})
        status, page = await read(request_client, admin_headers, **params)
        assert status == 200
        seen += [item["object_id"] for item in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break

    assert seen == ["5", "4", "3", "2", "1"]


def cursor_of(position: object) -> str:
    """A cursor this API never minted (a naive time, or not a position at all)."""
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"cursor": "not-a-cursor"}, "invalid.cursor"),
        ({"cursor": "eyJhdCI6IjIwMjYtMDEtMDFUMDA6MDA6MDAiLCJpZCI6IngifQ"}, "invalid.cursor"),
        (
            {"cursor": cursor_of({"at": "2026-01-01T00:00:00", "id": str(uuid.UUID(int=1))})},
            "invalid.cursor",
        ),
        ({"cursor": cursor_of(["at", "id"])}, "invalid.cursor"),
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "invalid.time_range"),
        ({"from": "yesterday"}, "invalid.request"),
        ({"action": "a\x00b"}, "invalid.request"),
    ],
)
async def test_a_bad_filter_or_cursor_is_a_422_naming_it(
    request_client: httpx.AsyncClient, admin_headers: Headers, params: dict[str, str], code: str
) -> None:
    status, body = await read(request_client, admin_headers, **params)

    assert (status, body["code"]) == (422, code)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_no_route_changes_or_deletes_an_event(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    admin_headers: Headers,
    method: str,
) -> None:
    await add_event(request_runtime, at=utcnow())
    [event] = (await read(request_client, admin_headers))[1]["items"]

    on_list = await request_client.request(method, "/admin/audit", headers=admin_headers)
    on_event = await request_client.request(
        method, f"/admin/audit/{event['id']}", headers=admin_headers, json={"action": "x"}
    )

    assert (on_list.status_code, on_event.status_code) == (405, 404)
    assert (await read(request_client, admin_headers))[1]["items"] == [event]


async def retained(runtime: Runtime[Any]) -> list[tuple[str, str | None]]:
    async with runtime.unit_of_work() as uow:
        events = await uow.session.scalars(select(AuditEvent).order_by(AuditEvent.occurred_at))
        return [(event.action, event.object_id) for event in events]


async def test_the_retention_job_deletes_older_events_and_records_how_many(
    request_runtime: RequestRuntime, request_settings: RequestSettings
) -> None:
    request_settings.audit_retention_days = 30
    now = utcnow()
    for days, number in ((400, 1), (31, 2), (29, 3)):
        await add_event(request_runtime, at=now - timedelta(days=days), object_id=number)

    await run_job(registry.get("audit_retention"), request_runtime, {})
    await run_job(registry.get("audit_retention"), request_runtime, {})

    assert await retained(request_runtime) == [("test.step", "3"), ("audit.purged", None)]
    async with request_runtime.unit_of_work() as uow:
        [purge] = await uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "audit.purged")
        )
    assert purge.actor_name == "audit-retention"
    assert purge.details is not None
    assert purge.details["deleted"] == 2
    assert purge.details["retention_days"] == 30


async def test_retention_zero_keeps_every_event(
    request_runtime: RequestRuntime, request_settings: RequestSettings
) -> None:
    request_settings.audit_retention_days = 0
    await add_event(request_runtime, at=utcnow() - timedelta(days=3650), object_id=1)

    await run_job(registry.get("audit_retention"), request_runtime, {})

    assert await retained(request_runtime) == [("test.step", "1")]
