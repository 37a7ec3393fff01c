"""The users pages: the services of `/admin/users` (and its grants and keys), their refusals
next to the fields, audited as the API audits; plain users and operators are refused."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from response_network.audit.models import AuditEvent
from response_network.catalog.models import Profile
from response_network.runtime import ResponseRuntime
from response_network.users.models import User
from tests.request_network.console.conftest import csrf_of
from tests.response_network.console.conftest import signed_in_as
from tests.response_network.identity import login


@pytest.fixture(autouse=True)
async def profiles(response_runtime: ResponseRuntime) -> None:
    async with response_runtime.unit_of_work() as uow:
        uow.session.add_all([Profile(name="default"), Profile(name="gold")])


async def audited(runtime: ResponseRuntime, action: str) -> int:
    async with runtime.unit_of_work() as uow:
        found = await uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return len(found.all())


async def test_an_admin_searches_creates_and_edits_a_user(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, admin_user: User
) -> None:
    client = await signed_in_as(response_client, "ada")
    page = await client.get("/console/users")
    assert page.status_code == 200
    assert 'href="/console/users"' in page.text  # in the navigation
    token = csrf_of(page)
    form = {
        "csrf_token": token,
        "username": "Bo",
        "email": "bo@example.org",
        "role": "user",
        "profile": "default",
    }

    refused = await client.post("/console/users", data={**form, "password": "short"})
    assert refused.status_code == 422
    assert 'id="new-username-error" role="alert"' in refused.text  # too short a username
    refused = await client.post(
        "/console/users", data={**form, "username": "bob", "password": "x", "profile": "nope"}
    )
    assert refused.status_code == 422
    assert 'id="new-password-error" role="alert"' in refused.text  # the password policy
    assert 'value="bob"' in refused.text  # what was typed stays, but never the password

    created = await client.post(
        "/console/users",
        data={
            **form,
            "username": "bob",
            "password": "a long enough passphrase 42",
            "profile": "default",
            "limit_overrides": '{"per_day": 5}',
        },
    )
    assert created.status_code == 303, re.findall(r"role=\"alert\">([^<]*)", created.text)
    user_page = created.headers["location"]
    taken = await client.post(
        "/console/users",
        data={**form, "username": "bob", "password": "a long enough passphrase 42"},
    )
    assert taken.status_code == 409
    assert 'role="alert"' in taken.text
    assert await audited(response_runtime, "user.create") == 1

    found = await client.get("/console/users", params={"q": "BO@example"})
    assert f'href="{user_page}"' in found.text
    missing = await client.get("/console/users", params={"q": "nobody-like-this"})
    assert "No users match." in missing.text

    page = await client.get(user_page)
    assert page.status_code == 200, page.headers
    assert "&#34;per_day&#34;: 5\n" in page.text  # the overrides, as JSON
    bad = await client.post(
        user_page,
        data={
            "csrf_token": token,
            "email": "not-an-email",
            "role": "operator",
            "profile": "default",
        },
    )
    assert bad.status_code == 422
    assert 'id="edit-email-error" role="alert"' in bad.text
    bad_json = await client.post(
        user_page,
        data={
            "csrf_token": token,
            "email": "bo@example.org",
            "role": "user",
            "profile": "default",
            "limit_overrides": "{",
        },
    )
    assert 'id="edit-overrides-error" role="alert"' in bad_json.text
    saved = await client.post(
        user_page,
        data={
            "csrf_token": token,
            "email": "bob@example.org",
            "role": "operator",
            "profile": "default",
        },
    )
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "Saved." in page.text
    assert page.text.count("<option selected>operator</option>") == 1
    assert "&#34;per_day&#34;: 5\n" not in page.text  # an empty field clears them


async def test_deactivate_reactivate_and_the_last_admin(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_user: User,
    plain_user: User,
) -> None:
    client = await signed_in_as(response_client, "ada")
    page = await client.get(f"/console/users/{plain_user.id}")
    token = csrf_of(page)
    off = await client.post(
        f"/console/users/{plain_user.id}/active", data={"csrf_token": token, "active": "false"}
    )
    assert off.status_code == 303
    page = await client.get(f"/console/users/{plain_user.id}")
    assert '<strong id="user-state">deactivated</strong>' in page.text
    assert (await login(client, "paula")).status_code == 401
    on = await client.post(
        f"/console/users/{plain_user.id}/active", data={"csrf_token": token, "active": "true"}
    )
    assert on.status_code == 303
    assert (
        '<strong id="user-state">active</strong>'
        in (await client.get(f"/console/users/{plain_user.id}")).text
    )
    assert await audited(response_runtime, "user.deactivate") == 1

    last = await client.post(
        f"/console/users/{admin_user.id}/active", data={"csrf_token": token, "active": "false"}
    )
    assert last.status_code == 409
    assert "last active admin" in last.text
    assert 'id="active-error" role="alert"' in last.text


async def test_a_password_is_set_or_generated_and_shown_once(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_user: User,
    plain_user: User,
) -> None:
    client = await signed_in_as(response_client, "ada")
    path = f"/console/users/{plain_user.id}"
    token = csrf_of(await client.get(path))
    weak = await client.post(f"{path}/password", data={"csrf_token": token, "password": "paula"})
    assert weak.status_code == 422
    assert 'id="new-password-field-error" role="alert"' in weak.text
    generated = await client.post(f"{path}/password", data={"csrf_token": token, "generate": "yes"})
    assert generated.status_code == 200
    found = re.search(r'<code id="new-password">([^<]+)</code>', generated.text)
    assert found is not None
    assert 'id="new-password"' not in (await client.get(path)).text  # never shown again
    assert (await login(client, "paula", found.group(1))).status_code == 200
    typed = await client.post(
        f"{path}/password", data={"csrf_token": token, "password": "another fine passphrase 7"}
    )
    assert typed.status_code == 303
    assert (await login(client, "paula", "another fine passphrase 7")).status_code == 200
    assert await audited(response_runtime, "user.reset_password") == 2


async def test_grants_with_limits_and_api_keys_shown_once(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_user: User,
    plain_user: User,
    types: list[str],
) -> None:
    client = await signed_in_as(response_client, "ada")
    path = f"/console/users/{plain_user.id}"
    token = csrf_of(await client.get(path))
    bad = await client.post(
        f"{path}/grants",
        data={
            "csrf_token": token,
            "request_type": "echo",
            "limit.day.soft": "9",
            "limit.day.hard": "3",
        },
    )
    assert bad.status_code == 422
    assert 'id="grant-limits-error" role="alert"' in bad.text
    unknown = await client.post(
        f"{path}/grants", data={"csrf_token": token, "request_type": "nope"}
    )
    assert unknown.status_code == 404
    assert 'id="grant-type-error" role="alert"' in unknown.text
    granted = await client.post(
        f"{path}/grants",
        data={
            "csrf_token": token,
            "request_type": "echo",
            "limit.day.soft": "3",
            "limit.day.hard": "9",
        },
    )
    assert granted.status_code == 303
    page = await client.get(granted.headers["location"])
    assert "<td>echo</td>" in page.text
    assert "day: 3/9" in page.text
    revoked = await client.post(f"{path}/grants/echo/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    page = await client.get(path)
    assert 'aria-label="Revoke the grant of echo"' not in page.text
    assert await audited(response_runtime, "grant.create") == 1

    nameless = await client.post(f"{path}/api-keys", data={"csrf_token": token, "key_name": " "})
    assert nameless.status_code == 422
    assert 'id="key-name-error" role="alert"' in nameless.text
    past = await client.post(
        f"{path}/api-keys",
        data={"csrf_token": token, "key_name": "ci", "expires_at": "2001-01-01T00:00:00Z"},
    )
    assert past.status_code == 422
    assert 'id="key-expires-error" role="alert"' in past.text
    created = await client.post(
        f"{path}/api-keys",
        data={"csrf_token": token, "key_name": "ci", "scope.requests:read": "on"},
    )
    assert created.status_code == 200
    secret = re.search(r'<code id="new-key-secret">([^<]+)</code>', created.text)
    assert secret is not None
    page = await client.get(path)
    assert secret.group(1) not in page.text  # shown once
    assert "<td>ci</td>" in page.text
    assert "requests:read" in page.text
    answer = await client.get("/users/me", headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert answer.status_code == 200
    assert answer.json()["username"] == "paula"
    key_id = re.search(r"/api-keys/([0-9a-f-]{36})/revoke", page.text)
    assert key_id is not None
    gone = await client.post(
        f"{path}/api-keys/{key_id.group(1)}/revoke", data={"csrf_token": token}
    )
    assert gone.status_code == 303
    answer = await client.get("/users/me", headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert answer.status_code == 401


async def test_operators_and_users_see_no_link_and_are_refused(
    response_client: httpx.AsyncClient, admin_user: User, operator: User, plain_user: User
) -> None:
    client = await signed_in_as(response_client, "olga")
    queue = await client.get("/console/queue")
    for link in ("/console/users", "/console/profiles", "/console/types"):
        assert f'href="{link}"' not in queue.text
    assert (await client.get("/console/users")).status_code == 403
    assert (await client.get(f"/console/users/{admin_user.id}")).status_code == 403
    token = csrf_of(queue)
    refused = await client.post(
        f"/console/users/{plain_user.id}/active", data={"csrf_token": token, "active": "false"}
    )
    assert refused.status_code == 403
    client = await signed_in_as(response_client, "ada")
    assert (
        await client.get("/console/users/00000000-0000-0000-0000-000000000000")
    ).status_code == 404
