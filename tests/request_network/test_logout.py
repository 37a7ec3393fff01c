"""Logging out on the request network: a logged-out token is never served from the
per-process principal cache, and the user's other tokens keep working."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from core.security import TokenIssuer
from request_network.audit.models import AuditEvent
from request_network.runtime import RequestRuntime
from tests.request_network.conftest import ReplicaUserFactory
from tests.request_network.replica import insert_api_key
from tests.response_network.identity import bearer


async def test_a_logged_out_token_is_refused_at_once_though_its_user_is_cached(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    request_tokens: TokenIssuer,
    replica_user: ReplicaUserFactory,
) -> None:
    alice = await replica_user("alice")
    laptop = bearer(request_tokens.issue(str(alice.id))[0])
    phone = bearer(request_tokens.issue(str(alice.id))[0])
    assert (await request_client.get("/users/me", headers=laptop)).status_code == 200
    assert request_runtime.principals.get(alice.id) is not None  # cached for seconds now

    logged_out = await request_client.post("/auth/logout", headers=laptop)

    assert logged_out.status_code == 204, logged_out.text
    for path in ("/users/me", "/requests", f"/requests/{alice.id}/response"):
        refused = await request_client.get(path, headers=laptop)
        assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized.token_revoked")
    assert (await request_client.get("/users/me", headers=phone)).status_code == 200
    assert (await request_client.post("/auth/logout", headers=laptop)).status_code == 204
    async with request_runtime.unit_of_work() as uow:
        actions = (await uow.session.scalars(select(AuditEvent.action))).all()
    assert actions == ["auth.logout"]


async def test_an_api_key_cannot_log_out(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    replica_user: ReplicaUserFactory,
) -> None:
    alice = await replica_user("alice")
    secret = await insert_api_key(request_runtime, alice)

    as_bearer = {"Authorization": f"Bearer {secret}"}
    answer = await request_client.post("/auth/logout", headers=as_bearer)

    assert (answer.status_code, answer.json()["code"]) == (400, "bad_request.token_required")
    assert (await request_client.get("/users/me", headers={"X-API-Key": secret})).status_code == 200
