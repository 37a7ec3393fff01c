"""The audit trail: append-only, never holding a secret, readable by admins newest first."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from core.audit import Actor, record_audit
from core.db import utcnow
from core.jobs import run_job
from response_network.audit.models import AuditEvent
from response_network.jobs import registry
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from tests.response_network.identity import audit_events

SOMEONE = Actor(id=None, name="test", address="10.0.0.1")


async def test_audit_events_cannot_be_changed_or_deleted(response_runtime: ResponseRuntime) -> None:
    async with response_runtime.unit_of_work() as uow:
        record_audit(
            session=uow.session, model=AuditEvent, actor=SOMEONE, action="x.y", object_type="x"
        )
    [event] = await audit_events(response_runtime)

    async with response_runtime.unit_of_work() as uow:
        stored = await uow.session.get(AuditEvent, event.id)
        assert stored is not None
        stored.action = "rewritten"
        with pytest.raises(RuntimeError, match="append-only"):
            await uow.session.flush()
        await uow.session.rollback()
        await uow.session.delete(stored)
        with pytest.raises(RuntimeError, match="append-only"):
            await uow.session.flush()
        await uow.session.rollback()
    assert [e.action for e in await audit_events(response_runtime)] == ["x.y"]


@pytest.mark.parametrize(
    "details",
    [{"password": "x"}, {"new_password_hash": "x"}, {"outer": {"api_secret": "x"}}, {"Token": 1}],
)
async def test_details_naming_a_secret_are_refused(
    details: dict[str, object], response_runtime: ResponseRuntime
) -> None:
    async with response_runtime.unit_of_work() as uow:
        with pytest.raises(ValueError, match="secrets"):
            record_audit(
                session=uow.session,
                model=AuditEvent,
                actor=SOMEONE,
                action="x.y",
                object_type="x",
                details=details,
            )


async def test_admins_read_the_trail_newest_first_in_pages(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
) -> None:
    async with response_runtime.unit_of_work() as uow:
        for number in range(5):
            record_audit(
                session=uow.session,
                model=AuditEvent,
                actor=SOMEONE,
                action="test.step",
                object_type="step",
                object_id=number,
            )
    async with response_runtime.unit_of_work() as uow:
        record_audit(
            session=uow.session, model=AuditEvent, actor=SOMEONE, action="other", object_type="x"
        )

    seen: list[str | None] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"action": "test.step", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (
            await response_client.get("/admin/audit", params=params, headers=admin_headers)
        ).json()
        seen += [item["object_id"] for item in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == ["4", "3", "2", "1", "0"]
    everything = (await response_client.get("/admin/audit", headers=admin_headers)).json()
    assert everything["items"][0]["action"] == "other"
    assert everything["items"][0]["client_address"] == "10.0.0.1"


async def test_admins_filter_by_object_type_and_time_range(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
) -> None:
    now = utcnow()
    for days, object_type in ((3, "user"), (2, "request_type"), (1, "user")):
        async with response_runtime.unit_of_work() as uow:
            event = record_audit(
                session=uow.session,
                model=AuditEvent,
                actor=SOMEONE,
                action="test.step",
                object_type=object_type,
                object_id=days,
            )
            event.occurred_at = now - timedelta(days=days)
    window = {
        "from": (now - timedelta(days=3)).isoformat(),
        "to": (now - timedelta(days=1)).isoformat(),
    }

    answer = await response_client.get(
        "/admin/audit", params={"object_type": "user", **window}, headers=admin_headers
    )
    page = answer.json()

    assert [item["object_id"] for item in page["items"]] == ["3"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_no_route_changes_or_deletes_an_event(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str], method: str
) -> None:
    on_list = await response_client.request(method, "/admin/audit", headers=admin_headers)
    on_event = await response_client.request(
        method, f"/admin/audit/{uuid.uuid4()}", headers=admin_headers, json={}
    )

    assert (on_list.status_code, on_event.status_code) == (405, 404)


async def test_the_retention_job_keeps_what_the_setting_keeps(
    response_runtime: ResponseRuntime, response_settings: ResponseSettings
) -> None:
    response_settings.audit_retention_days = 7
    async with response_runtime.unit_of_work() as uow:
        for days in (8, 6):
            event = record_audit(
                session=uow.session,
                model=AuditEvent,
                actor=SOMEONE,
                action="test.step",
                object_type="step",
                object_id=days,
            )
            event.occurred_at = utcnow() - timedelta(days=days)

    await run_job(registry.get("audit_retention"), response_runtime, {})

    kept = [(event.action, event.object_id) for event in await audit_events(response_runtime)]
    assert kept == [("test.step", "6"), ("audit.purged", None)]
