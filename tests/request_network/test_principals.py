"""A token's user is trusted for a few seconds per process, and never past a synced change."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import update

from core.db import utcnow
from core.security import TokenIssuer
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.transfer.service import transfer_context
from request_network.users.models import User
from shared.records import UsersStreamRecord
from tests.request_network.conftest import ReplicaUserFactory
from tests.waiting import until


def _bearer(tokens: TokenIssuer, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.issue(str(user.id))[0]}"}


def _deactivated(user: User) -> UsersStreamRecord:
    return UsersStreamRecord.model_validate(
        {
            "kind": "user",
            "id": user.id,
            "username": user.username,
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "active": False,
            "password_hash": user.password_hash,
            "profile": user.profile,
            "limit_overrides": None,
            "created_at": user.created_at,
            "updated_at": utcnow(),
            "version": user.version + 1,
        }
    )


async def test_a_synced_deactivation_refuses_the_next_call_at_once(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    request_tokens: TokenIssuer,
    replica_user: ReplicaUserFactory,
) -> None:
    alice = await replica_user("alice")
    headers = _bearer(request_tokens, alice)
    assert (await request_client.get("/users/me", headers=headers)).status_code == 200

    users = transfer_context(request_runtime).streams.inbound["users"]
    async with request_runtime.unit_of_work() as uow:
        outcome = await users.apply(uow.session, [_deactivated(alice)])
    assert outcome.applied == 1

    refused = await request_client.get("/users/me", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized.token")


async def test_a_change_made_elsewhere_shows_once_the_entry_expires(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    request_tokens: TokenIssuer,
    replica_user: ReplicaUserFactory,
) -> None:
    request_runtime.principals.seconds = 0.3
    bob = await replica_user("bob")
    headers = _bearer(request_tokens, bob)
    assert (await request_client.get("/users/me", headers=headers)).status_code == 200
    # As an import run by another process (a Celery worker) would: this process isn't told.
    async with request_runtime.unit_of_work() as uow:
        await uow.session.execute(update(User).where(User.id == bob.id).values(active=False))

    trusted = await request_client.get("/users/me", headers=headers)

    async def refused() -> httpx.Response | None:
        answer = await request_client.get("/users/me", headers=headers)
        return answer if answer.status_code == 401 else None

    assert trusted.status_code == 200
    assert (await until(refused, what="the cached user to expire", timeout=5)).status_code == 401


async def test_with_no_cache_time_every_call_reads_the_user(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    request_tokens: TokenIssuer,
    replica_user: ReplicaUserFactory,
) -> None:
    request_runtime.principals.seconds = 0
    carol = await replica_user("carol")
    headers = _bearer(request_tokens, carol)
    assert (await request_client.get("/users/me", headers=headers)).status_code == 200
    async with request_runtime.unit_of_work() as uow:
        await uow.session.execute(update(User).where(User.id == carol.id).values(active=False))

    assert (await request_client.get("/users/me", headers=headers)).status_code == 401


def test_the_cache_time_is_a_bounded_setting() -> None:
    assert RequestSettings().principal_cache_seconds == 5.0
    with pytest.raises(ValidationError, match="principal_cache_seconds"):
        RequestSettings(principal_cache_seconds=timedelta(hours=1).total_seconds())
