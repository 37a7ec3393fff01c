"""Changing one's own password on the response network (the master of credentials)."""

from __future__ import annotations

import httpx

from core.security import TokenIssuer, generate_api_key
from response_network.api_keys.models import ApiKey
from response_network.runtime import ResponseRuntime
from tests.response_network.auth.conftest import ClientWith
from tests.response_network.conftest import UserFactory
from tests.response_network.identity import PASSWORD, audit_events, bearer, login, reload_user

NEW_PASSWORD = "a brand new long passphrase"


async def change(
    client: httpx.AsyncClient, headers: dict[str, str], current: str, new: str = NEW_PASSWORD
) -> httpx.Response:
    return await client.post(
        "/users/me/password",
        json={"current_password": current, "new_password": new},
        headers=headers,
    )


async def test_a_new_password_ends_every_older_token_and_answers_a_fresh_one(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    user = await make_user("alice")
    own = bearer((await login(response_client, "alice")).json()["access_token"])
    other_session = bearer((await login(response_client, "alice")).json()["access_token"])
    version = (await reload_user(response_runtime, user.id)).version

    changed = await change(response_client, own, PASSWORD)

    assert changed.status_code == 200, changed.text
    fresh = bearer(changed.json()["access_token"])
    for old in (own, other_session):
        refused = await response_client.get("/users/me", headers=old)
        assert (refused.status_code, refused.json()["code"]) == (
            401,
            "unauthorized.token_superseded",
        )
    me = await response_client.get("/users/me", headers=fresh)
    assert me.status_code == 200
    assert me.json()["password_changed_at"] is not None
    assert (await login(response_client, "alice")).status_code == 401
    assert (await login(response_client, "alice", NEW_PASSWORD)).status_code == 200
    stored = await reload_user(response_runtime, user.id)
    assert stored.version == version + 1  # the users stream carries it to the replica
    [event] = await audit_events(response_runtime, "user.password_changed")
    assert (event.actor_name, event.result) == ("alice", "success")


async def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failed_login(
    client_with: ClientWith,
    response_runtime: ResponseRuntime,
    make_user: UserFactory,
    tokens: TokenIssuer,
) -> None:
    user = await make_user("alice")
    headers = bearer(tokens.issue(str(user.id))[0])
    async with client_with(login_max_failures=2, login_delay_seconds=60) as client:
        first = await change(client, headers, "not my password at all")
        second = await change(client, headers, "still not my password")
        throttled = await change(client, headers, PASSWORD)
        login_throttled = await login(client, "alice")
        me = await client.get("/users/me", headers=headers)

    assert (first.status_code, first.json()["code"]) == (403, "forbidden.current_password")
    assert second.status_code == 403
    assert (throttled.status_code, throttled.json()["code"]) == (429, "rate_limited.login")
    assert login_throttled.status_code == 429  # the same count as logins
    assert me.status_code == 200  # the token still works: nothing changed
    assert (await reload_user(response_runtime, user.id)).password_changed_at is None
    failures = await audit_events(response_runtime, "user.password_changed")
    assert [(event.result, event.details) for event in failures] == [
        ("failure", {"reason": "wrong current password"})
    ] * 2


async def test_a_changed_password_forgets_the_users_failed_logins(
    client_with: ClientWith, make_user: UserFactory, tokens: TokenIssuer
) -> None:
    user = await make_user("alice")
    headers = bearer(tokens.issue(str(user.id))[0])
    async with client_with(login_max_failures=3, login_delay_seconds=60) as client:
        for _ in range(2):
            assert (await login(client, "alice", "a wrong guess here")).status_code == 401
        changed = await change(client, headers, PASSWORD)
        # Without the reset this would be the third try, the last free one, and the next 429.
        assert (await login(client, "alice", "a wrong guess again")).status_code == 401
        after = await login(client, "alice", NEW_PASSWORD)

    assert changed.status_code == 200, changed.text
    assert after.status_code == 200, after.text


async def test_a_weak_new_password_is_422_naming_the_rule_and_changes_nothing(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    user = await make_user("alice")
    token = bearer((await login(response_client, "alice")).json()["access_token"])

    short = await change(response_client, token, PASSWORD, "short")
    own_name = await change(response_client, token, PASSWORD, "ALICE@example.org")
    oversize = await change(response_client, token, PASSWORD, "x" * 5000)

    assert (short.status_code, short.json()["code"]) == (422, "invalid.password")
    assert "at least 12 characters" in short.json()["detail"]
    assert "username or the email" in own_name.json()["detail"]
    assert (oversize.status_code, oversize.json()["code"]) == (422, "invalid.request")
    assert (await reload_user(response_runtime, user.id)).password_changed_at is None
    assert (await response_client.get("/users/me", headers=token)).status_code == 200
    assert (await login(response_client, "alice")).status_code == 200


async def test_an_api_key_cannot_change_the_password(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    user = await make_user("alice")
    secret, prefix, digest = generate_api_key()
    async with response_runtime.unit_of_work() as uow:
        uow.session.add(ApiKey(user_id=user.id, name="bot", prefix=prefix, secret_hash=digest))

    answer = await change(response_client, {"X-API-Key": secret}, PASSWORD)

    assert (answer.status_code, answer.json()["code"]) == (400, "bad_request.token_required")
    assert (await login(response_client, "alice")).status_code == 200


async def test_an_admin_reset_ends_the_users_tokens(
    response_client: httpx.AsyncClient,
    make_user: UserFactory,
    admin_headers: dict[str, str],
) -> None:
    user = await make_user("alice")
    token = bearer((await login(response_client, "alice")).json()["access_token"])

    reset = await response_client.post(
        f"/admin/users/{user.id}/password", json={"password": NEW_PASSWORD}, headers=admin_headers
    )

    assert reset.status_code == 204, reset.text
    refused = await response_client.get("/users/me", headers=token)
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized.token_superseded")
