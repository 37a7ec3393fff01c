"""A user's own new password, made on the request network, crosses to the master on the
`requests` stream and comes back on `users`; the master applies it to plain users only."""

from __future__ import annotations

import uuid

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from core.db import utcnow
from core.security import hash_password
from request_network.users.models import PasswordChange
from response_network.audit.models import AuditEvent
from response_network.users.models import Role, User
from shared.exchange.export import export_all
from shared.exchange.importing import import_pending
from shared.records import RequestsStreamRecord, UsersStreamRecord
from tests.shared.exchange.conftest import PASSWORD_HASH, Networks
from tests.shared.exchange.test_identity_sync import ROOT_PASSWORD, bearer, sync, token

OLD = ROOT_PASSWORD
NEW = "alice's brand new passphrase"


async def send_requests(networks: Networks) -> None:
    """The `requests` stream, request network -> response network."""
    await export_all(networks.request_ctx)
    results = await import_pending(networks.response_ctx)
    assert all(r.status == "applied" for r in results), results


async def add_user(networks: Networks, username: str, role: Role = Role.USER) -> uuid.UUID:
    async with networks.response.unit_of_work() as uow:
        user = User(
            username=username,
            email=f"{username}@example.org",
            role=role,
            active=True,
            password_hash=PASSWORD_HASH,
        )
        uow.session.add(user)
        await uow.session.flush()
        return user.id


async def change(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post(
        "/users/me/password",
        json={"current_password": OLD, "new_password": NEW},
        headers=headers,
    )


async def queued(networks: Networks) -> int:
    async with networks.request.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(PasswordChange)) or 0)


async def refusals(networks: Networks) -> list[AuditEvent]:
    async with networks.response.unit_of_work() as uow:
        return list(
            (
                await uow.session.scalars(
                    select(AuditEvent).where(AuditEvent.action == "user.password_change_refused")
                )
            ).all()
        )


async def test_a_password_changed_on_the_request_network_reaches_the_master_and_comes_back(
    networks: Networks, response_client: httpx.AsyncClient, request_client: httpx.AsyncClient
) -> None:
    await add_user(networks, "alice")
    await sync(networks)
    laptop = bearer(await token(request_client, "alice", OLD))
    phone = bearer(await token(request_client, "alice", OLD))

    changed = await change(request_client, laptop)

    # On the request network at once: the old password and every older token are refused.
    assert changed.status_code == 200, changed.text
    fresh = bearer(changed)
    for old in (laptop, phone):
        refused = await request_client.get("/users/me", headers=old)
        assert (refused.status_code, refused.json()["code"]) == (
            401,
            "unauthorized.token_superseded",
        )
    assert (await request_client.get("/users/me", headers=fresh)).status_code == 200
    assert (await token(request_client, "alice", OLD)).status_code == 401
    assert (await token(request_client, "alice", NEW)).status_code == 200
    # The master has not heard of it yet.
    assert (await token(response_client, "alice", OLD)).status_code == 200

    await send_requests(networks)

    assert (await token(response_client, "alice", NEW)).status_code == 200
    assert (await token(response_client, "alice", OLD)).status_code == 401
    assert await refusals(networks) == []

    await sync(networks)  # the master's users record carries the same hash back

    assert await queued(networks) == 0
    assert (await request_client.get("/users/me", headers=fresh)).status_code == 200
    assert (await token(request_client, "alice", NEW)).status_code == 200
    assert (await token(request_client, "alice", OLD)).status_code == 401


async def test_a_forged_change_of_a_staff_password_is_refused_and_audited_the_rest_applies(
    networks: Networks, response_client: httpx.AsyncClient
) -> None:
    root_id = await add_user(networks, "root", Role.ADMIN)
    bob_id = await add_user(networks, "bob")
    await sync(networks)
    forged_hash = hash_password(NEW)
    # What a compromised request network can write: its own signed `requests` batches.
    async with networks.request.unit_of_work() as uow:
        uow.session.add_all(
            PasswordChange(user_id=user_id, password_hash=forged_hash, changed_at=utcnow())
            for user_id in (root_id, bob_id)
        )

    await send_requests(networks)

    assert (await token(response_client, "root", NEW)).status_code == 401
    assert (await token(response_client, "root", ROOT_PASSWORD)).status_code == 200
    assert (await token(response_client, "bob", NEW)).status_code == 200
    [event] = await refusals(networks)
    assert (event.object_id, event.result) == (str(root_id), "failure")
    assert event.actor_name == "transfer"
    assert event.details is not None
    assert event.details["reason"] == "staff password: changed on the response network only"


async def test_an_admin_edit_crossing_first_does_not_bring_the_old_password_back(
    networks: Networks, response_client: httpx.AsyncClient, request_client: httpx.AsyncClient
) -> None:
    alice_id = await add_user(networks, "alice")
    await sync(networks)
    changed = await change(request_client, bearer(await token(request_client, "alice", OLD)))
    assert changed.status_code == 200, changed.text
    # Meanwhile on the master, before the change arrives: a newer version of alice.
    async with networks.response.unit_of_work() as uow:
        alice = await uow.session.get(User, alice_id)
        assert alice is not None
        alice.display_name = "Alice A."

    await sync(networks)

    assert (await token(request_client, "alice", OLD)).status_code == 401
    assert (await token(request_client, "alice", NEW)).status_code == 200
    assert (await request_client.get("/users/me", headers=bearer(changed))).status_code == 200
    assert await queued(networks) == 1

    await send_requests(networks)
    await sync(networks)

    assert await queued(networks) == 0
    assert (await token(response_client, "alice", NEW)).status_code == 200
    me = await request_client.get("/users/me", headers=bearer(changed))
    assert me.json()["display_name"] == "Alice A."


async def test_a_later_admin_reset_wins_over_a_change_still_in_flight(
    networks: Networks, response_client: httpx.AsyncClient, request_client: httpx.AsyncClient
) -> None:
    alice_id = await add_user(networks, "alice")
    await add_user(networks, "root", Role.ADMIN)
    await sync(networks)
    changed = await change(request_client, bearer(await token(request_client, "alice", OLD)))
    assert changed.status_code == 200, changed.text
    admin = bearer(await token(response_client, "root", ROOT_PASSWORD))
    reset = await response_client.post(
        f"/admin/users/{alice_id}/password",
        json={"password": "the admin's reset phrase"},
        headers=admin,
    )
    assert reset.status_code == 204, reset.text

    await sync(networks)  # the reset reaches the replica before the change leaves it
    await send_requests(networks)

    assert await queued(networks) == 0
    assert (await token(request_client, "alice", NEW)).status_code == 401
    assert (await token(request_client, "alice", "the admin's reset phrase")).status_code == 200
    assert (await token(response_client, "alice", "the admin's reset phrase")).status_code == 200
    refused = await request_client.get("/users/me", headers=bearer(changed))
    assert refused.json()["code"] == "unauthorized.token_superseded"


def test_records_of_an_older_sender_still_validate_and_hashes_must_be_argon2id() -> None:
    older = UsersStreamRecord.model_validate(
        {
            "kind": "user",
            "id": str(uuid.uuid4()),
            "username": "alice",
            "email": "alice@example.org",
            "display_name": "",
            "role": "user",
            "active": True,
            "password_hash": PASSWORD_HASH,
            "profile": "default",
            "created_at": "2026-12-01T00:00:00Z",
            "updated_at": "2026-12-01T00:00:00Z",
            "version": 3,
        }
    )
    assert older.root.kind == "user"
    assert older.root.password_changed_at is None
    change = {
        "kind": "password_change",
        "id": str(uuid.uuid4()),
        "user_id": str(uuid.uuid4()),
        "changed_at": "2026-12-01T00:00:00Z",
        "version": 1,
    }
    RequestsStreamRecord.model_validate(change | {"password_hash": PASSWORD_HASH})
    for bad in ("$2b$12$" + "a" * 53, "plaintext password", ""):
        with pytest.raises(ValidationError):
            RequestsStreamRecord.model_validate(change | {"password_hash": bad})
