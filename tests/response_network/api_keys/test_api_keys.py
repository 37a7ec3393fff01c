"""API keys: the secret shown once, stored hashed, revocable by its owner or an admin."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from core.db import utcnow
from core.runtime import Runtime
from core.security import TokenIssuer, hash_api_key
from response_network.api_keys.models import ApiKey
from response_network.runtime import ResponseRuntime
from response_network.users.models import User
from tests.response_network.conftest import UserFactory
from tests.response_network.identity import audit_events, bearer, reload_user


async def _stored_keys(runtime: Runtime[Any]) -> list[ApiKey]:
    async with runtime.unit_of_work() as uow:
        return list((await uow.session.scalars(select(ApiKey))).all())


async def _headers_of(
    make_user: UserFactory, tokens: TokenIssuer, name: str
) -> tuple[User, dict[str, str]]:
    user = await make_user(name)
    return user, bearer(tokens.issue(str(user.id))[0])


async def test_my_key_is_shown_once_stored_hashed_and_revocable(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    make_user: UserFactory,
    tokens: TokenIssuer,
) -> None:
    user, headers = await _headers_of(make_user, tokens, "alice")

    created = await response_client.post(
        "/users/me/api-keys", json={"name": "laptop", "scopes": ["requests:read"]}, headers=headers
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("ak_")
    assert secret.startswith(created.json()["prefix"])
    listed = (await response_client.get("/users/me/api-keys", headers=headers)).json()
    assert [k["name"] for k in listed] == ["laptop"]
    assert "secret" not in listed[0]
    [stored] = await _stored_keys(response_runtime)
    assert stored.secret_hash == hash_api_key(secret)
    assert (
        await response_client.get("/users/me", headers={"x-api-key": secret})
    ).status_code == 200

    revoked = await response_client.delete(f"/users/me/api-keys/{stored.id}", headers=headers)
    assert revoked.status_code == 204
    refused = await response_client.get("/users/me", headers={"x-api-key": secret})
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized.api_key")

    [key] = await _stored_keys(response_runtime)
    assert key.version == 2
    assert (await reload_user(response_runtime, user.id)).version == 3, "created + revoked"
    trail = await audit_events(response_runtime)
    assert [e.action for e in trail] == ["api_key.create", "api_key.revoke"]
    assert secret not in repr([e.details for e in trail])
    assert stored.secret_hash not in repr([e.details for e in trail])


async def test_someone_elses_key_is_404_not_403(
    response_client: httpx.AsyncClient,
    make_user: UserFactory,
    tokens: TokenIssuer,
    admin_headers: dict[str, str],
) -> None:
    _alice, alice_headers = await _headers_of(make_user, tokens, "alice")
    _bob, bob_headers = await _headers_of(make_user, tokens, "bob")
    key = (
        await response_client.post("/users/me/api-keys", json={"name": "a"}, headers=alice_headers)
    ).json()

    by_bob = await response_client.delete(f"/users/me/api-keys/{key['id']}", headers=bob_headers)
    missing = await response_client.delete(
        f"/users/me/api-keys/{uuid.uuid4()}", headers=bob_headers
    )
    assert by_bob.status_code == missing.status_code == 404
    assert by_bob.json() == {**missing.json(), "detail": by_bob.json()["detail"]}
    assert (await response_client.get("/users/me/api-keys", headers=bob_headers)).json() == []

    by_admin = await response_client.delete(
        f"/users/me/api-keys/{key['id']}", headers=admin_headers
    )
    assert by_admin.status_code == 204, "owner or admin"


async def test_admin_manages_a_users_keys(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    make_user: UserFactory,
    admin_headers: dict[str, str],
) -> None:
    robot = await make_user("robot")
    other = await make_user("other")
    base = f"/admin/users/{robot.id}/api-keys"

    created = await response_client.post(base, json={"name": "ci"}, headers=admin_headers)
    assert created.status_code == 201
    key_id = created.json()["id"]
    assert created.json()["user_id"] == str(robot.id)
    listed = (await response_client.get(base, headers=admin_headers)).json()
    assert [k["id"] for k in listed] == [key_id]

    wrong_owner = await response_client.delete(
        f"/admin/users/{other.id}/api-keys/{key_id}", headers=admin_headers
    )
    assert wrong_owner.status_code == 404
    assert (
        await response_client.delete(f"{base}/{key_id}", headers=admin_headers)
    ).status_code == 204
    assert (
        await response_client.delete(f"{base}/{key_id}", headers=admin_headers)
    ).status_code == 204
    revocations = await audit_events(response_runtime, "api_key.revoke")
    assert [(e.actor_name, e.object_id) for e in revocations] == [("root", key_id)]


async def test_expiry_in_the_past_and_oversize_fields_are_422(
    response_client: httpx.AsyncClient, make_user: UserFactory, tokens: TokenIssuer
) -> None:
    _user, headers = await _headers_of(make_user, tokens, "alice")
    past = (utcnow() - timedelta(minutes=1)).isoformat()

    answers = [
        await response_client.post(
            "/users/me/api-keys", json={"name": "k", "expires_at": past}, headers=headers
        ),
        await response_client.post("/users/me/api-keys", json={"name": "n" * 101}, headers=headers),
        await response_client.post("/users/me/api-keys", json={"name": ""}, headers=headers),
        await response_client.post(
            "/users/me/api-keys", json={"name": "k", "scopes": ["s"] * 51}, headers=headers
        ),
        await response_client.post(
            "/users/me/api-keys",
            json={"name": "k", "expires_at": "2099-01-01T00:00:00"},
            headers=headers,
        ),
    ]
    assert [a.status_code for a in answers] == [422] * 5
    assert answers[0].json()["code"] == "invalid.expires_at"


async def test_a_key_with_a_future_expiry_works_until_then(
    response_client: httpx.AsyncClient, make_user: UserFactory, tokens: TokenIssuer
) -> None:
    _user, headers = await _headers_of(make_user, tokens, "alice")
    future = (utcnow() + timedelta(days=1)).isoformat()
    created = await response_client.post(
        "/users/me/api-keys", json={"name": "k", "expires_at": future}, headers=headers
    )
    me = await response_client.get("/users/me", headers=bearer(created.json()["secret"]))
    assert me.status_code == 200
