"""Admins define the catalog: types, profiles and grants, each change versioned and audited."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.errors import Invalid
from response_network.catalog.service import runnable_request_type
from response_network.runtime import ResponseRuntime
from response_network.users.models import User
from tests.response_network.conftest import UserFactory
from tests.response_network.identity import audit_events

SCHEMA = {
    "type": "object",
    "properties": {"word": {"type": "string", "maxLength": 20}},
    "required": ["word"],
    "additionalProperties": False,
}
LOOKUP = {"name": "lookup", "title": "Look up", "handler": "echo", "parameter_schema": SCHEMA}


async def create_type(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> httpx.Response:
    return await client.post("/admin/request-types", json=LOOKUP | fields, headers=headers)


async def test_define_change_try_and_delete_a_type(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
) -> None:
    created = await create_type(response_client, admin_headers)
    assert created.status_code == 201, created.text
    assert (created.json()["version"], created.json()["active"]) == (1, True)

    changed = await response_client.patch(
        "/admin/request-types/lookup", json={"title": "Look it up"}, headers=admin_headers
    )
    assert (changed.json()["title"], changed.json()["version"]) == ("Look it up", 2)
    same = await response_client.patch(
        "/admin/request-types/lookup", json={"title": "Look it up"}, headers=admin_headers
    )
    assert same.json()["version"] == 2

    tried = await response_client.post(
        "/admin/request-types/lookup/try",
        json={"parameters": {"word": "'; DROP TABLE x; --"}},
        headers=admin_headers,
    )
    assert tried.json() == {
        "content_type": "application/json",
        "body": {"word": "'; DROP TABLE x; --"},
        "query": None,  # echo sends no query
    }
    refused = await response_client.post(
        "/admin/request-types/lookup/try", json={"parameters": {"word": 1}}, headers=admin_headers
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid.parameters")
    assert refused.json()["field"] == "parameters.word"

    deleted = await response_client.delete("/admin/request-types/lookup", headers=admin_headers)
    assert deleted.status_code == 204
    gone = await response_client.get("/admin/request-types/lookup", headers=admin_headers)
    assert gone.status_code == 404
    listed = await response_client.get(
        "/admin/request-types", params={"include_deleted": True}, headers=admin_headers
    )
    [row] = listed.json()
    assert row["deleted_at"] is not None
    again = await create_type(response_client, admin_headers)
    assert (again.status_code, again.json()["code"]) == (409, "conflict.request_type")
    actions = [e.action for e in await audit_events(response_runtime)]
    assert actions == ["request_type.create", "request_type.update", "request_type.delete"]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"parameter_schema": {"type": "objekt"}}, "invalid.parameter_schema"),
        ({"parameter_schema": {"type": "string"}}, "invalid.parameter_schema"),
        ({"handler": "teleport"}, "invalid.handler"),
        ({"handler": "echo", "handler_settings": {"x": 1}}, "invalid.handler_settings"),
        ({"handler": "sql", "handler_settings": {"source": "nowhere", "query": "SELECT 1"}},
         "invalid.handler_settings"),
        ({"handler": "search", "handler_settings": {"index": "Bad Name!"}},
         "invalid.handler_settings"),
    ],
)  # fmt: skip
async def test_bad_definitions_are_refused_with_422(
    response_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    fields: dict[str, Any],
    code: str,
) -> None:
    answer = await create_type(response_client, admin_headers, **fields)
    assert (answer.status_code, answer.json()["code"]) == (422, code)


async def test_names_and_texts_are_bounded(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for fields in ({"name": "Has Spaces"}, {"name": "x" * 65}, {"title": "t" * 201}):
        answer = await create_type(response_client, admin_headers, **fields)
        assert answer.status_code == 422, fields


async def test_profiles_crud_and_a_profile_in_use_stays(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
    make_user: UserFactory,
) -> None:
    body = {
        "name": "analysts",
        "limits": {"minute": {"soft": 5, "hard": 10}, "day": {"soft": 80, "hard": 100}},
        "allowed_types": ["lookup"],
    }
    created = await response_client.post("/admin/profiles", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    assert created.json()["limits"]["day"] == {"soft": 80, "hard": 100}
    bad = await response_client.post(
        "/admin/profiles",
        json=body | {"name": "odd", "limits": {"minute": {"soft": 11, "hard": 10}}},
        headers=admin_headers,
    )
    assert bad.status_code == 422
    changed = await response_client.patch(
        "/admin/profiles/analysts", json={"allow_all": True}, headers=admin_headers
    )
    assert (changed.json()["allow_all"], changed.json()["version"]) == (True, 2)

    user = await make_user("ann")
    async with response_runtime.unit_of_work() as uow:
        held = await uow.session.get(User, user.id)
        assert held is not None
        held.profile = "analysts"
    in_use = await response_client.delete("/admin/profiles/analysts", headers=admin_headers)
    assert (in_use.status_code, in_use.json()["code"]) == (409, "conflict.profile_in_use")
    async with response_runtime.unit_of_work() as uow:
        held = await uow.session.get(User, user.id)
        assert held is not None
        held.profile = "default"
    assert (
        await response_client.delete("/admin/profiles/analysts", headers=admin_headers)
    ).status_code == 204
    assert (await response_client.get("/admin/profiles", headers=admin_headers)).json() == []


async def test_grant_list_and_revoke_a_type(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
    make_user: UserFactory,
) -> None:
    await create_type(response_client, admin_headers)
    user = await make_user("ben")
    url = f"/admin/users/{user.id}/grants"
    missing = await response_client.post(url, json={"request_type": "nope"}, headers=admin_headers)
    assert missing.status_code == 404
    granted = await response_client.post(
        url, json={"request_type": "lookup"}, headers=admin_headers
    )
    twice = await response_client.post(url, json={"request_type": "lookup"}, headers=admin_headers)
    assert granted.status_code == twice.status_code == 201
    assert granted.json()["id"] == twice.json()["id"]

    revoked = await response_client.delete(f"{url}/lookup", headers=admin_headers)
    assert revoked.status_code == 204
    [grant] = (await response_client.get(url, headers=admin_headers)).json()
    assert (grant["revoked_at"] is not None, grant["version"]) == (True, 2)
    assert (await response_client.delete(f"{url}/lookup", headers=admin_headers)).status_code == 404
    actions = [e.action for e in await audit_events(response_runtime)]
    assert actions[-2:] == ["grant.create", "grant.revoke"]


async def test_a_user_may_only_be_given_a_known_profile(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user = await make_user("cleo")
    unknown = await response_client.patch(
        f"/admin/users/{user.id}", json={"profile": "gold"}, headers=admin_headers
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "invalid.profile")
    await response_client.post("/admin/profiles", json={"name": "gold"}, headers=admin_headers)
    known = await response_client.patch(
        f"/admin/users/{user.id}", json={"profile": "gold"}, headers=admin_headers
    )
    assert (known.status_code, known.json()["profile"]) == (200, "gold")


async def test_requests_of_a_deleted_type_get_a_clear_reason(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
) -> None:
    await create_type(response_client, admin_headers)
    async with response_runtime.unit_of_work() as uow:
        found = await runnable_request_type(session=uow.session, name="lookup")
        assert found.name == "lookup"
    await response_client.delete("/admin/request-types/lookup", headers=admin_headers)
    async with response_runtime.unit_of_work() as uow:
        with pytest.raises(Invalid, match="'lookup' was deleted at") as raised:
            await runnable_request_type(session=uow.session, name="lookup")
    assert raised.value.code == "invalid.request_type"
