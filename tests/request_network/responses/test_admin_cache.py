"""`/admin/cache`: figures, clearing all answers or one user's; admins only, audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select

from core.runtime import Runtime
from request_network.audit.models import AuditEvent
from request_network.runtime import RequestRuntime
from request_network.users.models import User
from tests.request_network.conftest import ReplicaUserFactory
from tests.request_network.responses.conftest import (
    ApplyResponses,
    Headers,
    insert_request,
    response,
)


async def answered(runtime: Runtime[Any], owner: User, apply_responses: ApplyResponses) -> str:
    request_id = await insert_request(runtime, owner)
    await apply_responses(response(request_id))
    return f"/requests/{request_id}/response"


async def audit_actions(runtime: Runtime[Any]) -> list[tuple[str, str | None, object]]:
    async with runtime.unit_of_work() as uow:
        events = await uow.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("cache.%"))
            .order_by(AuditEvent.occurred_at)
        )
        return [(e.action, e.object_id, (e.details or {}).get("deleted")) for e in events]


async def test_stats_count_hits_misses_and_cached_answers(
    request_runtime: RequestRuntime,
    alice: User,
    admin: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    url = await answered(request_runtime, alice, apply_responses)
    before = (await request_client.get("/admin/cache/stats", headers=auth(admin))).json()

    for _ in range(3):
        await request_client.get(url, headers=auth(admin))
    after = (await request_client.get("/admin/cache/stats", headers=auth(admin))).json()

    assert (before["hits"], before["misses"], before["keys"], before["hit_ratio"]) == (0, 0, 0, 0)
    assert (after["hits"], after["misses"], after["keys"]) == (2, 1, 1)
    assert after["hit_ratio"] == 2 / 3
    assert after["memory_bytes"] is None or after["memory_bytes"] > 0


async def test_clear_drops_every_cached_answer_and_is_audited(
    request_runtime: RequestRuntime,
    alice: User,
    bob: User,
    admin: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    urls = [
        await answered(request_runtime, alice, apply_responses),
        await answered(request_runtime, bob, apply_responses),
    ]
    for url in urls:
        await request_client.get(url, headers=auth(admin))

    cleared = await request_client.delete("/admin/cache/clear", headers=auth(admin))
    reads = [await request_client.get(url, headers=auth(admin)) for url in urls]
    stats = (await request_client.get("/admin/cache/stats", headers=auth(admin))).json()

    assert (cleared.status_code, cleared.json()) == (200, {"deleted": 2})
    assert [read.headers["X-Cache"] for read in reads] == ["miss", "miss"]
    assert stats["keys"] == 2
    assert await audit_actions(request_runtime) == [("cache.clear", "responses", 2)]


async def test_clearing_one_user_leaves_the_others_cached(
    request_runtime: RequestRuntime,
    alice: User,
    bob: User,
    admin: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    alices = [await answered(request_runtime, alice, apply_responses) for _ in range(2)]
    bobs = await answered(request_runtime, bob, apply_responses)
    for url in [*alices, bobs]:
        await request_client.get(url, headers=auth(admin))

    cleared = await request_client.delete(f"/admin/cache/user/{alice.id}", headers=auth(admin))
    unknown = await request_client.delete(f"/admin/cache/user/{uuid.uuid4()}", headers=auth(admin))
    reads = [await request_client.get(url, headers=auth(admin)) for url in [*alices, bobs]]

    assert (cleared.status_code, cleared.json()) == (200, {"deleted": 2})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found.user")
    assert [read.headers["X-Cache"] for read in reads] == ["miss", "miss", "hit"]
    assert await audit_actions(request_runtime) == [("cache.clear_user", str(alice.id), 2)]


async def test_only_admins_reach_the_cache_endpoints(
    alice: User,
    replica_user: ReplicaUserFactory,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    operator = await replica_user("oscar", role="operator")
    calls = [
        ("GET", "/admin/cache/stats"),
        ("DELETE", "/admin/cache/clear"),
        ("DELETE", f"/admin/cache/user/{alice.id}"),
    ]

    for method, url in calls:
        anonymous = await request_client.request(method, url)
        for user in (alice, operator):
            refused = await request_client.request(method, url, headers=auth(user))
            assert (refused.status_code, refused.json()["code"]) == (403, "forbidden.role")
        assert anonymous.status_code == 401
