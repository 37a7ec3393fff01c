"""Logging in on the response network: password, rehash (the same answer for every refusal:
tests/security/test_login_enumeration.py; throttling: test_throttle.py)."""

from __future__ import annotations

import bcrypt
import httpx

from response_network.runtime import ResponseRuntime
from response_network.users.models import Role
from tests.response_network.conftest import UserFactory
from tests.response_network.identity import PASSWORD, audit_events, bearer, login, reload_user


async def test_password_login_answers_a_bearer_token_that_works(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    alice = await make_user("alice", role=Role.OPERATOR)

    answer = await login(response_client, "Alice ")
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    me = await response_client.get("/users/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["role"]) == ("alice", "operator")

    stored = await reload_user(response_runtime, alice.id)
    assert stored.last_login_at is not None
    assert stored.version == 1, "a login is bookkeeping, not a change the users stream carries"
    [event] = await audit_events(response_runtime, "auth.login")
    assert (event.actor_id, event.result, event.client_address) == (
        alice.id,
        "success",
        "127.0.0.1",
    )


async def test_bcrypt_hash_is_replaced_by_argon2id_on_login(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    old = await make_user("legacy", hashed=legacy)

    assert (await login(response_client, "legacy")).status_code == 200

    user = await reload_user(response_runtime, old.id)
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert user.version == 2, "the new hash travels on the users stream"
    [event] = await audit_events(response_runtime, "user.upgrade_password_hash")
    assert event.details == {"scheme": "argon2id"}
    assert (await login(response_client, "legacy")).status_code == 200


async def test_oversize_credentials_are_422_without_hashing(
    response_client: httpx.AsyncClient,
) -> None:
    answer = await login(response_client, "alice", "x" * 5000)
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid.credentials"
