"""API key scopes on the request network: a key reaches only what its scopes name.

A key without scopes, and a login token, keep the owner's role's full reach.
"""

from __future__ import annotations

from typing import Any

import httpx

from core.runtime import Runtime
from core.security import TokenIssuer
from request_network.runtime import RequestRuntime
from tests.request_network.catalog.test_submissions import replica_profile, replica_type
from tests.request_network.replica import insert_api_key, insert_user

SUBMISSION = {"request_type": "weather", "parameters": {"city": "Oslo"}}


async def with_catalog(runtime: Runtime[Any]) -> None:
    async with runtime.unit_of_work() as uow:
        uow.session.add_all([replica_type("weather"), replica_profile(allow_all=True)])


def refused_for(answer: httpx.Response, scope: str) -> bool:
    body = answer.json()
    return (
        answer.status_code == 403 and body["code"] == "forbidden.scope" and scope in body["detail"]
    )


async def test_a_read_key_lists_and_reads_but_cannot_submit(
    request_client: httpx.AsyncClient, request_runtime: RequestRuntime, request_tokens: TokenIssuer
) -> None:
    await with_catalog(request_runtime)
    user = await insert_user(request_runtime, "reader", password_hash=None)
    token = {"Authorization": f"Bearer {request_tokens.issue(str(user.id))[0]}"}
    submitted = await request_client.post("/requests", json=SUBMISSION, headers=token)
    assert submitted.status_code == 201, submitted.text
    request_id = submitted.json()["id"]
    read_key = {"X-API-Key": await insert_api_key(request_runtime, user, scopes=["requests:read"])}

    listed = await request_client.get("/requests", headers=read_key)
    one = await request_client.get(f"/requests/{request_id}", headers=read_key)
    answer = await request_client.get(f"/requests/{request_id}/response", headers=read_key)
    types = await request_client.get("/request-types", headers=read_key)
    me = await request_client.get("/users/me", headers=read_key)
    submit = await request_client.post("/requests", json=SUBMISSION, headers=read_key)

    assert [item["id"] for item in listed.json()["items"]] == [request_id]
    assert one.status_code == 200
    assert (answer.status_code, answer.json()["code"]) == (404, "not_answered")
    assert [item["name"] for item in types.json()] == ["weather"]
    assert me.json()["username"] == "reader"
    assert refused_for(submit, "requests:write"), submit.text


async def test_a_write_key_submits_but_reads_nothing(
    request_client: httpx.AsyncClient, request_runtime: RequestRuntime
) -> None:
    await with_catalog(request_runtime)
    user = await insert_user(request_runtime, "writer", password_hash=None)
    secret = await insert_api_key(request_runtime, user, scopes=["requests:write"])
    write_key = {"Authorization": f"Bearer {secret}"}  # a key as the bearer works the same

    submit = await request_client.post("/requests", json=SUBMISSION, headers=write_key)
    assert submit.status_code == 201, submit.text
    request_id = submit.json()["id"]
    reads = [
        await request_client.get(path, headers=write_key)
        for path in (
            "/requests",
            f"/requests/{request_id}",
            f"/requests/{request_id}/response",
            "/request-types",
        )
    ]

    assert all(refused_for(read, "requests:read") for read in reads), [r.text for r in reads]


async def test_a_key_without_scopes_reaches_what_its_owner_may(
    request_client: httpx.AsyncClient, request_runtime: RequestRuntime
) -> None:
    await with_catalog(request_runtime)
    user = await insert_user(request_runtime, "plain", password_hash=None)
    key = {"X-API-Key": await insert_api_key(request_runtime, user)}

    submit = await request_client.post("/requests", json=SUBMISSION, headers=key)
    listed = await request_client.get("/requests", headers=key)
    admin_only = await request_client.get("/admin/cache/stats", headers=key)

    assert (submit.status_code, listed.status_code) == (201, 200)
    assert (admin_only.status_code, admin_only.json()["code"]) == (403, "forbidden.role")


async def test_an_admins_key_reaches_the_admin_routes_only_with_the_admin_scope(
    request_client: httpx.AsyncClient, request_runtime: RequestRuntime
) -> None:
    admin = await insert_user(request_runtime, "root", password_hash=None, role="admin")
    reader = {"X-API-Key": await insert_api_key(request_runtime, admin, scopes=["requests:read"])}
    admin_key = {"X-API-Key": await insert_api_key(request_runtime, admin, scopes=["admin"])}

    refused = await request_client.get("/admin/cache/stats", headers=reader)
    allowed = await request_client.get("/admin/cache/stats", headers=admin_key)
    everyones = await request_client.get("/admin/requests", headers=reader)

    assert refused_for(refused, "admin"), refused.text
    assert allowed.status_code == 200
    assert refused_for(everyones, "admin")
