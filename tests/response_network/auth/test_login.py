"""Logging in on the response network: password, rehash, the same answer for all (throttling:
test_throttle.py)."""

from __future__ import annotations

import time

import bcrypt
import httpx

from core.security import hash_password, verify_password
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


def _timed_verification() -> float:
    stored = hash_password("the right password")
    started = time.perf_counter()
    verify_password("not the password at all", stored)
    return time.perf_counter() - started


async def test_unknown_user_gets_the_same_answer_as_a_wrong_password(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    await make_user("alice")
    timings: dict[str, list[float]] = {"alice": [], "nobody": []}
    answers: dict[str, httpx.Response] = {}
    for username in ("alice", "nobody", "alice", "nobody"):  # interleaved: warm-up hits both
        started = time.perf_counter()
        answers[username] = await login(response_client, username, "not the password at all")
        timings[username].append(time.perf_counter() - started)

    wrong, unknown = answers["alice"], answers["nobody"]
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "unauthorized.credentials"
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"
    # Both pay for one argon2id verification (tens of ms); a shortcut would take ~1 ms. The
    # yardstick is a verification timed here and now, so a loaded machine slows both sides.
    one_verification = min(_timed_verification() for _ in range(3))
    assert min(timings["nobody"]) > one_verification * 0.5
    refusals = await audit_events(response_runtime, "auth.login")
    assert [(e.result, (e.details or {}).get("reason")) for e in refusals] == [
        ("failure", "wrong password"),
        ("failure", "unknown user"),
    ] * 2


async def test_deactivated_user_cannot_log_in(
    response_client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    await make_user("gone", active=False)
    answer = await login(response_client, "gone")
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthorized.credentials"


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
