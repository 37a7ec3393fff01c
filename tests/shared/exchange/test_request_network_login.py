"""Admins' and operators' password hashes stay on the master unless an admin lets them cross:
a copy read off the exposed network cannot be cracked offline and replayed on the protected one.
"""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from request_network.users.models import User as ReplicaUser
from response_network.users.models import Role, User
from tests.shared.exchange.conftest import PASSWORD_HASH, Networks
from tests.shared.exchange.test_identity_sync import ROOT_PASSWORD, bearer, sync, token

OPERATOR_PASSWORD = "the operator's long passphrase"


async def replica_hashes(networks: Networks) -> dict[str, str | None]:
    async with networks.request.unit_of_work() as uow:
        rows = await uow.session.execute(select(ReplicaUser.username, ReplicaUser.password_hash))
        return {row.username: row.password_hash for row in rows}


async def add_root(networks: Networks) -> uuid.UUID:
    async with networks.response.unit_of_work() as uow:
        root = User(
            username="root",
            email="root@example.org",
            role=Role.ADMIN,
            active=True,
            password_hash=PASSWORD_HASH,
        )
        uow.session.add(root)
        await uow.session.flush()
        return root.id


async def test_staff_hashes_cross_only_while_an_admin_allows_it(
    networks: Networks, response_client: httpx.AsyncClient, request_client: httpx.AsyncClient
) -> None:
    root_id = await add_root(networks)
    admin = bearer(await token(response_client, "root", ROOT_PASSWORD))
    for username, role in (("olga", "operator"), ("ursula", "user")):
        created = await response_client.post(
            "/admin/users",
            json={
                "username": username,
                "email": f"{username}@example.org",
                "password": OPERATOR_PASSWORD,
                "role": role,
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
        assert created.json()["request_network_login"] is False

    await sync(networks)

    # The replica knows everyone, but only the plain user's hash came along.
    hashes = await replica_hashes(networks)
    assert hashes["root"] is None
    assert hashes["olga"] is None
    assert hashes["ursula"] is not None
    refused = await token(request_client, "root", ROOT_PASSWORD)
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized.credentials")
    assert (await token(request_client, "olga", OPERATOR_PASSWORD)).status_code == 401
    assert (await token(request_client, "ursula", OPERATOR_PASSWORD)).status_code == 200

    turned_on = await response_client.patch(
        f"/admin/users/{root_id}", json={"request_network_login": True}, headers=admin
    )
    assert turned_on.status_code == 200, turned_on.text
    assert turned_on.json()["request_network_login"] is True
    await sync(networks)

    allowed = await token(request_client, "root", ROOT_PASSWORD)
    assert allowed.status_code == 200, allowed.text
    trail = await response_client.get(
        "/admin/audit",
        params={"action": "user.update", "object_id": str(root_id)},
        headers=admin,
    )
    [event] = trail.json()["items"]
    assert event["actor_name"] == "root"
    assert event["details"] == {"changes": {"request_network_login": [False, True]}}

    turned_off = await response_client.patch(
        f"/admin/users/{root_id}", json={"request_network_login": False}, headers=admin
    )
    assert turned_off.status_code == 200, turned_off.text
    await sync(networks)

    assert (await replica_hashes(networks))["root"] is None
    assert (await token(request_client, "root", ROOT_PASSWORD)).status_code == 401


async def test_a_promotion_takes_the_hash_off_the_replica(
    networks: Networks, response_client: httpx.AsyncClient
) -> None:
    await add_root(networks)
    admin = bearer(await token(response_client, "root", ROOT_PASSWORD))
    created = await response_client.post(
        "/admin/users",
        json={"username": "paul", "email": "paul@example.org", "password": OPERATOR_PASSWORD},
        headers=admin,
    )
    await sync(networks)
    assert (await replica_hashes(networks))["paul"] is not None

    promoted = await response_client.patch(
        f"/admin/users/{created.json()['id']}", json={"role": "operator"}, headers=admin
    )
    assert promoted.status_code == 200, promoted.text
    await sync(networks)

    assert (await replica_hashes(networks))["paul"] is None
