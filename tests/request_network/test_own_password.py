"""Changing one's password on the request network: refused requests change nothing here and
queue nothing for the master."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from core.security import TokenIssuer
from request_network.audit.models import AuditEvent
from request_network.runtime import RequestRuntime
from request_network.users.models import PasswordChange, User
from tests.request_network.conftest import PASSWORD, ReplicaUserFactory
from tests.request_network.replica import insert_api_key
from tests.response_network.identity import bearer

NEW = "a brand new long passphrase"


async def change(
    client: httpx.AsyncClient, headers: dict[str, str], current: str, new: str = NEW
) -> httpx.Response:
    return await client.post(
        "/users/me/password",
        json={"current_password": current, "new_password": new},
        headers=headers,
    )


async def unchanged(runtime: RequestRuntime, user: User) -> bool:
    async with runtime.unit_of_work() as uow:
        stored = await uow.session.get(User, user.id)
        queued = await uow.session.scalar(select(func.count()).select_from(PasswordChange))
    assert stored is not None
    return (
        stored.password_hash == user.password_hash
        and stored.password_changed_at is None
        and queued == 0
    )


async def test_wrong_weak_and_keyed_changes_are_refused_and_change_nothing(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    request_tokens: TokenIssuer,
    replica_user: ReplicaUserFactory,
) -> None:
    alice = await replica_user("alice")
    token = bearer(request_tokens.issue(str(alice.id))[0])
    key = {"X-API-Key": await insert_api_key(request_runtime, alice)}

    wrong = await change(request_client, token, "not my password at all")
    weak = await change(request_client, token, PASSWORD, "alice")
    keyed = await change(request_client, key, PASSWORD)
    missing = await request_client.post("/users/me/password", json={}, headers=token)

    assert (wrong.status_code, wrong.json()["code"]) == (403, "forbidden.current_password")
    assert (weak.status_code, weak.json()["code"]) == (422, "invalid.password")
    assert "at least 12 characters" in weak.json()["detail"]
    assert (keyed.status_code, keyed.json()["code"]) == (400, "bad_request.token_required")
    assert (missing.status_code, missing.json()["code"]) == (422, "invalid.request")
    assert await unchanged(request_runtime, alice)
    assert (await request_client.get("/users/me", headers=token)).status_code == 200
    async with request_runtime.unit_of_work() as uow:
        results = (
            await uow.session.scalars(
                select(AuditEvent.result).where(AuditEvent.action == "user.password_changed")
            )
        ).all()
    assert results == ["failure"]


async def test_staff_change_their_password_on_the_response_network_only(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    request_tokens: TokenIssuer,
    replica_user: ReplicaUserFactory,
) -> None:
    # An admin whose hash crosses (request network login on) still cannot change it here.
    root = await replica_user("root", role="admin")
    token = bearer(request_tokens.issue(str(root.id))[0])

    refused = await change(request_client, token, PASSWORD)

    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden.password_change")
    assert await unchanged(request_runtime, root)
