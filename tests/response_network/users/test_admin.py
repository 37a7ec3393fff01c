"""Admins manage accounts: create, list, change, reset, deactivate; each change audited."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from core.runtime import Runtime
from response_network.runtime import ResponseRuntime
from response_network.users.models import Role, User
from tests.response_network.conftest import UserFactory
from tests.response_network.identity import PASSWORD, audit_events, login, reload_user

NEW_USER = {
    "username": "Carol",
    "email": "Carol@Example.org",
    "password": "a sufficiently long secret",
    "display_name": "Carol C.",
    "role": "operator",
}


async def _user_count(runtime: Runtime[Any]) -> int:
    async with runtime.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(User)) or 0)


async def test_create_user_then_log_in_as_them(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
) -> None:
    created = await response_client.post("/admin/users", json=NEW_USER, headers=admin_headers)

    assert created.status_code == 201
    body = created.json()
    assert (body["username"], body["email"], body["role"], body["version"]) == (
        "carol",
        "carol@example.org",
        "operator",
        1,
    )
    assert "password" not in body
    assert "password_hash" not in body
    assert (await login(response_client, "carol", NEW_USER["password"])).status_code == 200
    [event] = await audit_events(response_runtime, "user.create")
    assert (event.object_type, event.object_id, event.actor_name) == ("user", body["id"], "root")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short pass", "at least 12"),
        ("carol-the-user", "username"),
        ("CAROL-THE-USER", "username"),
        ("carol@example.org", "email"),
        ("            ", "blank"),
    ],
)
async def test_password_policy_is_a_clear_422(
    password: str,
    why: str,
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
) -> None:
    data = {**NEW_USER, "username": "carol-the-user", "password": password}
    answer = await response_client.post("/admin/users", json=data, headers=admin_headers)
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid.password"
    assert why in answer.json()["detail"]
    assert await _user_count(response_runtime) == 1  # the admin only


async def test_duplicate_username_or_email_is_409_and_writes_nothing(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    make_user: UserFactory,
    admin_headers: dict[str, str],
) -> None:
    await make_user("carol", email="carol@example.org")
    before = len(await audit_events(response_runtime))

    same_name = {**NEW_USER, "email": "other@example.org"}
    same_email = {**NEW_USER, "username": "other", "email": "CAROL@example.org"}
    by_name = await response_client.post("/admin/users", json=same_name, headers=admin_headers)
    by_email = await response_client.post("/admin/users", json=same_email, headers=admin_headers)

    assert (by_name.status_code, by_name.json()["code"]) == (409, "conflict.username")
    assert (by_email.status_code, by_email.json()["code"]) == (409, "conflict.email")
    assert await _user_count(response_runtime) == 2
    assert len(await audit_events(response_runtime)) == before


@pytest.mark.parametrize(
    "change",
    [
        {"username": "u" * 65},
        {"email": "e" * 250 + "@x.org"},
        {"display_name": "d" * 201},
        {"password": "p" * 1025},
        {"profile": "p" * 65},
        {"limit_overrides": {"k" * 65: 1}},
        {"username": "no spaces"},
        {"email": "not-an-email"},
        {"role": "superuser"},
        {"unexpected": "field"},
    ],
)
async def test_oversize_or_malformed_fields_are_422(
    change: dict[str, object], response_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    answer = await response_client.post(
        "/admin/users", json={**NEW_USER, **change}, headers=admin_headers
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid.request"


async def test_list_pages_with_an_opaque_cursor_and_filters(
    response_client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    for name in ("dave", "erin", "frank", "grace"):
        await make_user(name, display_name=f"{name.title()} Example")
    await make_user("heidi", role=Role.OPERATOR, active=False)

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (
            await response_client.get("/admin/users", params=params, headers=admin_headers)
        ).json()
        seen += [item["username"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["dave", "erin", "frank", "grace", "heidi", "root"]
    assert pages == 3

    async def names(**params: str) -> list[str]:
        answer = await response_client.get("/admin/users", params=params, headers=admin_headers)
        return [item["username"] for item in answer.json()["items"]]

    assert await names(role="operator") == ["heidi"]
    assert await names(active="false") == ["heidi"]
    assert await names(q=" EXAMPLE", active="true") == ["dave", "erin", "frank", "grace"]
    assert await names(q="100%") == []


async def test_a_forged_cursor_is_422(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for cursor in ("not base64 !", "eyJ4IjoxfQ", "x" * 600):
        answer = await response_client.get(
            "/admin/users", params={"cursor": cursor}, headers=admin_headers
        )
        assert answer.status_code == 422


async def test_unknown_user_is_404_on_every_admin_route(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    missing = f"/admin/users/{uuid.uuid4()}"
    answers = [
        await response_client.get(missing, headers=admin_headers),
        await response_client.patch(missing, json={"display_name": "x"}, headers=admin_headers),
        await response_client.post(f"{missing}/deactivate", headers=admin_headers),
        await response_client.post(
            f"{missing}/password", json={"password": "a new long password"}, headers=admin_headers
        ),
        await response_client.get(f"{missing}/api-keys", headers=admin_headers),
    ]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [(404, "not_found.user")] * 5


async def test_patch_changes_only_what_was_sent_bumps_version_and_audits(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    make_user: UserFactory,
    admin_headers: dict[str, str],
) -> None:
    user = await make_user("ivan")
    change = {"role": "operator", "limit_overrides": {"per_day": 10}, "display_name": "Ivan"}

    answer = await response_client.patch(
        f"/admin/users/{user.id}", json=change, headers=admin_headers
    )
    same_again = await response_client.patch(
        f"/admin/users/{user.id}", json=change, headers=admin_headers
    )

    assert answer.status_code == 200
    assert answer.json()["role"] == "operator"
    assert answer.json()["email"] == "ivan@example.org"
    assert same_again.json()["version"] == answer.json()["version"] == 2
    [event] = await audit_events(response_runtime, "user.update")
    assert event.details == {
        "changes": {
            "role": ["user", "operator"],
            "limit_overrides": [None, {"per_day": 10}],
            "display_name": ["", "Ivan"],
        }
    }


async def test_patch_refuses_null_duplicates_and_removing_the_last_admin(
    response_client: httpx.AsyncClient,
    make_user: UserFactory,
    admin: User,
    admin_headers: dict[str, str],
) -> None:
    user = await make_user("judy")
    await make_user("mallory")
    url = f"/admin/users/{user.id}"

    null_email = await response_client.patch(url, json={"email": None}, headers=admin_headers)
    taken = await response_client.patch(
        url, json={"email": "mallory@example.org"}, headers=admin_headers
    )
    demote_self = await response_client.patch(
        f"/admin/users/{admin.id}", json={"role": "user"}, headers=admin_headers
    )
    deactivate_self = await response_client.post(
        f"/admin/users/{admin.id}/deactivate", headers=admin_headers
    )

    assert null_email.status_code == 422
    assert (taken.status_code, taken.json()["code"]) == (409, "conflict.email")
    assert (demote_self.status_code, demote_self.json()["code"]) == (409, "conflict.last_admin")
    assert deactivate_self.status_code == 409
    assert (await reload_user_role(response_client, admin_headers, admin.id)) == "admin"


async def reload_user_role(
    client: httpx.AsyncClient, headers: dict[str, str], user_id: uuid.UUID
) -> str:
    return str((await client.get(f"/admin/users/{user_id}", headers=headers)).json()["role"])


async def test_reset_password_applies_the_policy_and_audits_no_secret(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    make_user: UserFactory,
    admin_headers: dict[str, str],
) -> None:
    user = await make_user("kim")
    url = f"/admin/users/{user.id}/password"
    new_password = "an entirely new passphrase"

    weak = await response_client.post(url, json={"password": "kim"}, headers=admin_headers)
    reset = await response_client.post(url, json={"password": new_password}, headers=admin_headers)

    assert (weak.status_code, weak.json()["code"]) == (422, "invalid.password")
    assert reset.status_code == 204
    assert (await login(response_client, "kim", PASSWORD)).status_code == 401
    assert (await login(response_client, "kim", new_password)).status_code == 200
    stored = await reload_user(response_runtime, user.id)
    assert stored.version == 2
    [event] = await audit_events(response_runtime, "user.reset_password")
    assert event.details is None


async def test_deactivate_is_soft_idempotent_and_audited_once(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    make_user: UserFactory,
    admin_headers: dict[str, str],
) -> None:
    user = await make_user("leo")

    url = f"/admin/users/{user.id}/deactivate"
    first = await response_client.post(url, headers=admin_headers)
    second = await response_client.post(url, headers=admin_headers)

    assert (first.status_code, second.status_code) == (204, 204)
    shown = (await response_client.get(f"/admin/users/{user.id}", headers=admin_headers)).json()
    assert (shown["active"], shown["version"]) == (False, 2)
    assert len(await audit_events(response_runtime, "user.deactivate")) == 1
    assert (await login(response_client, "leo")).status_code == 401


async def test_audit_trail_never_holds_a_password_or_hash(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
) -> None:
    created = await response_client.post("/admin/users", json=NEW_USER, headers=admin_headers)
    user_id = created.json()["id"]
    await response_client.post(
        f"/admin/users/{user_id}/password",
        json={"password": "the second long password"},
        headers=admin_headers,
    )
    await login(response_client, "carol", "the second long password")
    stored = await reload_user(response_runtime, uuid.UUID(user_id))

    trail = repr([(e.action, e.details) for e in await audit_events(response_runtime)])
    assert NEW_USER["password"] not in trail
    assert "the second long password" not in trail
    assert str(stored.password_hash) not in trail
    assert "argon2" not in trail
