"""Logging out on the response network: the presented token ends, nothing else does."""

from __future__ import annotations

import httpx

from core.security import TokenIssuer, generate_api_key
from response_network.api_keys.models import ApiKey
from response_network.app import create_app
from response_network.jobs import registry
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from tests.response_network.conftest import UserFactory
from tests.response_network.identity import audit_events, bearer, login


async def test_a_logged_out_token_is_refused_and_the_users_other_tokens_still_work(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    user = await make_user("alice")
    laptop = bearer((await login(response_client, "alice")).json()["access_token"])
    phone = bearer((await login(response_client, "alice")).json()["access_token"])

    logged_out = await response_client.post("/auth/logout", headers=laptop)

    assert logged_out.status_code == 204, logged_out.text
    refused = await response_client.get("/users/me", headers=laptop)
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized.token_revoked")
    assert refused.headers["www-authenticate"] == "Bearer"
    assert (await response_client.get("/users/me", headers=phone)).status_code == 200
    [event] = await audit_events(response_runtime, "auth.logout")
    assert (event.actor_name, event.object_id) == ("alice", str(user.id))


async def test_logging_out_twice_answers_the_same_and_writes_once(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    await make_user("alice")
    token = bearer((await login(response_client, "alice")).json()["access_token"])

    first = await response_client.post("/auth/logout", headers=token)
    second = await response_client.post("/auth/logout", headers=token)

    assert (first.status_code, second.status_code) == (204, 204)
    assert len(await audit_events(response_runtime, "auth.logout")) == 1


async def test_an_api_key_cannot_log_out_and_keeps_working(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    user = await make_user("alice")
    secret, prefix, digest = generate_api_key()
    async with response_runtime.unit_of_work() as uow:
        uow.session.add(ApiKey(user_id=user.id, name="bot", prefix=prefix, secret_hash=digest))

    answer = await response_client.post("/auth/logout", headers={"X-API-Key": secret})

    assert answer.status_code == 400
    assert answer.json()["code"] == "bad_request.token_required"
    still = await response_client.get("/users/me", headers={"X-API-Key": secret})
    assert still.status_code == 200
    anonymous = await response_client.post("/auth/logout")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthorized.missing")


async def test_a_logout_outlives_a_restart(
    response_settings: ResponseSettings,
    response_client: httpx.AsyncClient,
    make_user: UserFactory,
    tokens: TokenIssuer,
) -> None:
    user = await make_user("alice")
    token = bearer(tokens.issue(str(user.id))[0])
    assert (await response_client.post("/auth/logout", headers=token)).status_code == 204

    # A new process: a runtime and app of its own on the same database (and Redis).
    runtime = ResponseRuntime.build(response_settings, registry, start_scheduler=False)
    try:
        app = create_app(response_settings, runtime)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            refused = await client.get("/users/me", headers=token)
            fresh = await client.get("/users/me", headers=bearer(tokens.issue(str(user.id))[0]))
    finally:
        await runtime.close()

    assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized.token_revoked")
    assert fresh.status_code == 200
