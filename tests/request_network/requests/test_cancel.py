"""Owners cancel their requests: pending ones at once, exported ones through the master."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.transfer.service import transfer_context
from request_network.users.models import User
from shared.exchange.export import export_all
from shared.exchange.keys import generate_keys
from tests.request_network.conftest import ReplicaUserFactory
from tests.request_network.requests.conftest import Headers, Submit
from tests.request_network.requests.test_read import exported_records, jobs_done
from tests.request_network.responses.conftest import response

Auth = Callable[[User], Headers]


async def cancel(
    client: httpx.AsyncClient, request_id: uuid.UUID | str, as_: Headers
) -> httpx.Response:
    return await client.post(f"/requests/{request_id}/cancel", headers=as_)


async def submitted(submit: Submit, user: User, runtime: RequestRuntime) -> str:
    created = await submit(user)
    assert created.status_code == 201, created.text
    await jobs_done(runtime)
    return str(created.json()["id"])


async def test_a_pending_request_is_cancelled_at_once_and_never_leaves(
    submit: Submit,
    alice: User,
    auth: Auth,
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    request_settings: RequestSettings,
) -> None:
    request_id = await submitted(submit, alice, request_runtime)

    cancelled = await cancel(request_client, request_id, auth(alice))
    again = await cancel(request_client, request_id, auth(alice))

    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["cancel_requested_at"]) == (
        "cancelled",
        None,
    )
    assert (again.status_code, again.json()) == (200, cancelled.json())
    generate_keys(request_settings)
    await export_all(transfer_context(request_runtime))
    assert await exported_records(request_runtime) == 0
    shown = (await request_client.get(f"/requests/{request_id}", headers=auth(alice))).json()
    assert shown["status"] == "cancelled"
    assert [(e["status"], e["reason"]) for e in shown["history"]] == [
        ("pending", None),
        ("cancelled", "cancelled by its owner"),
    ]
    listed = await request_client.get("/requests?status=cancelled", headers=auth(alice))
    assert [item["id"] for item in listed.json()["items"]] == [request_id]
    answer = await request_client.get(f"/requests/{request_id}/response", headers=auth(alice))
    assert (answer.status_code, answer.json()["status"]) == (404, "cancelled")


async def test_an_exported_request_sends_its_cancellation_once(
    submit: Submit,
    alice: User,
    auth: Auth,
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    request_settings: RequestSettings,
) -> None:
    generate_keys(request_settings)
    request_id = await submitted(submit, alice, request_runtime)
    await export_all(transfer_context(request_runtime))
    assert await exported_records(request_runtime) == 1

    asked = await cancel(request_client, request_id, auth(alice))
    await jobs_done(request_runtime)
    await export_all(transfer_context(request_runtime))
    again = await cancel(request_client, request_id, auth(alice))
    await jobs_done(request_runtime)
    await export_all(transfer_context(request_runtime))

    assert asked.status_code == 200, asked.text
    assert asked.json()["status"] == "exported"
    assert asked.json()["cancel_requested_at"] is not None
    assert again.json() == asked.json()
    assert await exported_records(request_runtime) == 2, "the cancellation left once"


async def test_someone_elses_request_is_not_found_even_for_an_admin(
    submit: Submit,
    alice: User,
    auth: Auth,
    replica_user: ReplicaUserFactory,
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
) -> None:
    request_id = await submitted(submit, alice, request_runtime)
    bob, root = await replica_user("bob"), await replica_user("root", role="admin")

    by_bob = await cancel(request_client, request_id, auth(bob))
    by_admin = await cancel(request_client, request_id, auth(root))
    unknown = await cancel(request_client, uuid.uuid4(), auth(alice))

    assert [r.status_code for r in (by_bob, by_admin, unknown)] == [404, 404, 404]
    assert by_bob.json()["code"] == "not_found.request"
    shown = await request_client.get(f"/requests/{request_id}", headers=auth(alice))
    assert shown.json()["status"] == "pending"


async def test_an_answered_request_cannot_be_cancelled(
    submit: Submit,
    alice: User,
    auth: Auth,
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
) -> None:
    request_id = await submitted(submit, alice, request_runtime)
    stream = transfer_context(request_runtime).streams.inbound["responses"]
    async with request_runtime.unit_of_work() as uow:
        await stream.apply(uow.session, [response(uuid.UUID(request_id))])

    refused = await cancel(request_client, request_id, auth(alice))

    assert refused.status_code == 409
    assert (refused.json()["code"], refused.json()["status"]) == (
        "conflict.request_decided",
        "answered",
    )
    shown = await request_client.get(f"/requests/{request_id}", headers=auth(alice))
    assert (shown.json()["status"], shown.json()["cancel_requested_at"]) == ("answered", None)
