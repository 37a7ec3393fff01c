"""The audit trail: append-only, never holding a secret, readable by admins newest first."""

from __future__ import annotations

import httpx
import pytest

from core.audit import Actor, record_audit
from core.runtime import Runtime
from response_network.audit.models import AuditEvent
from tests.response_network.identity import audit_events

SOMEONE = Actor(id=None, name="test", address="10.0.0.1")


async def test_audit_events_cannot_be_changed_or_deleted(response_runtime: Runtime) -> None:
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
    details: dict[str, object], response_runtime: Runtime
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
    response_client: httpx.AsyncClient, response_runtime: Runtime, admin_headers: dict[str, str]
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
