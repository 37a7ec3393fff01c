"""Logging in on the request network with credentials the master synced (replica rows)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import bcrypt
import httpx
import pytest

from request_network.app import create_app
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from tests.request_network.conftest import PASSWORD, ReplicaUserFactory
from tests.request_network.replica import insert_api_key, insert_user

WRONG = "wrong password here"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _login(
    client: httpx.AsyncClient, username: str, password: str, *, forwarded_for: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
    return await client.post(
        "/auth/token", data={"username": username, "password": password}, headers=headers
    )


async def test_replicated_user_logs_in_and_reads_themself(
    request_client: httpx.AsyncClient, replica_user: ReplicaUserFactory
) -> None:
    await replica_user("alice", role="operator")

    answer = await _login(request_client, "alice", PASSWORD)
    assert answer.status_code == 200
    me = await request_client.get("/users/me", headers=_bearer(answer.json()["access_token"]))
    assert (me.status_code, me.json()["username"], me.json()["role"]) == (200, "alice", "operator")


async def test_bcrypt_hash_verifies_here_but_is_left_alone(
    request_client: httpx.AsyncClient, request_runtime: RequestRuntime
) -> None:
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    user = await insert_user(request_runtime, "legacy", password_hash=legacy)

    assert (await _login(request_client, "legacy", PASSWORD)).status_code == 200
    async with request_runtime.unit_of_work() as uow:
        stored = await uow.session.get(type(user), user.id)
        assert stored is not None
        assert (stored.password_hash, stored.version) == (legacy, 1), "only the master rehashes"


@contextlib.asynccontextmanager
async def _client(
    settings: RequestSettings, runtime: RequestRuntime, peer: str = "127.0.0.1", **changes: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """An app on the test's runtime with some settings changed, called from `peer` (its
    lifespan is not run: it would close the runtime)."""
    app = create_app(settings.model_copy(update=changes), runtime)
    transport = httpx.ASGITransport(app=app, client=(peer, 50_000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_five_failures_make_that_username_wait_at_that_address(
    request_settings: RequestSettings,
    request_runtime: RequestRuntime,
    replica_user: ReplicaUserFactory,
) -> None:
    await replica_user("alice")
    async with _client(request_settings, request_runtime, login_delay_seconds=60) as client:
        statuses = [(await _login(client, "alice", WRONG)).status_code for _ in range(5)]
        locked = await _login(client, "alice", PASSWORD)

    assert statuses == [401] * 5
    assert (locked.status_code, locked.json()["code"]) == (429, "rate_limited.login")
    assert 0 < int(locked.headers["retry-after"]) <= 60


async def test_a_new_users_tries_do_not_block_others_at_that_address(
    request_client: httpx.AsyncClient, replica_user: ReplicaUserFactory
) -> None:
    # A new account not yet crossed from the master: its owner tries (and fails) five times.
    tries = [(await _login(request_client, "newcomer", PASSWORD)).status_code for _ in range(5)]
    await replica_user("alice")

    assert tries == [401] * 5
    assert (await _login(request_client, "alice", PASSWORD)).status_code == 200


@pytest.mark.parametrize(
    ("peer", "owner_answer"),
    [("127.0.0.1", 200), ("198.51.100.7", 429)],
    ids=["from-the-proxy", "from-elsewhere"],
)
async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(
    peer: str,
    owner_answer: int,
    request_settings: RequestSettings,
    request_runtime: RequestRuntime,
    replica_user: ReplicaUserFactory,
) -> None:
    await replica_user("alice")
    changes: dict[str, Any] = {"forwarded_allow_ips": "127.0.0.1", "login_delay_seconds": 60}
    async with _client(request_settings, request_runtime, peer, **changes) as client:
        for _ in range(5):  # a guesser at 203.0.113.5
            await _login(client, "alice", WRONG, forwarded_for="203.0.113.5")
        owner = await _login(client, "alice", PASSWORD, forwarded_for="192.0.2.10")

    assert owner.status_code == owner_answer


@pytest.mark.parametrize("header", ["x-api-key", "authorization"])
async def test_replicated_api_key_authenticates(
    header: str,
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    replica_user: ReplicaUserFactory,
) -> None:
    user = await replica_user("robot")
    secret = await insert_api_key(request_runtime, user)
    headers = {"x-api-key": secret} if header == "x-api-key" else _bearer(secret)

    me = await request_client.get("/users/me", headers=headers)
    assert (me.status_code, me.json()["username"]) == (200, "robot")
