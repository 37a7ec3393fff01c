"""Quotas users can see, per-type limits from the profile and the grant, and admins reading and
resetting a user's usage: on the embedded limiter and on Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from core.db import utcnow
from request_network.audit.models import AuditEvent
from request_network.catalog.models import Grant, Profile
from request_network.runtime import RequestRuntime
from request_network.users.models import User
from tests.request_network.conftest import ReplicaUserFactory
from tests.request_network.replica import insert_api_key
from tests.request_network.requests.conftest import Headers, Submit

WEATHER_LIMITS = {"minute": {"soft": 1, "hard": 3}, "day": {"soft": 40, "hard": 50}}


async def set_type_limits(runtime: RequestRuntime, type_limits: dict[str, Any]) -> None:
    """As a catalog import would: the `default` profile's per-type limits."""
    async with runtime.unit_of_work() as uow:
        profile = await uow.session.scalar(select(Profile).where(Profile.name == "default"))
        assert profile is not None
        profile.type_limits = type_limits
    await runtime.catalog.changed()


async def grant(
    runtime: RequestRuntime, user: User, request_type: str, limits: dict[str, Any]
) -> None:
    async with runtime.unit_of_work() as uow:
        uow.session.add(
            Grant(
                id=uuid.uuid4(),
                user_id=user.id,
                request_type=request_type,
                limits=limits,
                version=1,
                created_at=utcnow(),
                revoked_at=None,
            )
        )
    await runtime.catalog.changed()


async def test_a_user_sees_used_remaining_and_when_each_window_frees(
    request_client: httpx.AsyncClient,
    submit: Submit,
    alice: User,
    auth: Callable[[User], Headers],
) -> None:
    for _ in range(2):
        assert (await submit(alice)).status_code == 201

    answer = await request_client.get("/users/me/limits", headers=auth(alice))

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["user_id"], body["profile"], body["request_types"]) == (
        str(alice.id),
        "default",
        [],
    )
    minute, day = body["windows"]
    assert {k: minute[k] for k in ("window", "seconds", "soft", "hard", "used", "remaining")} == {
        "window": "minute",
        "seconds": 60,
        "soft": 3,
        "hard": 20,
        "used": 2,
        "remaining": 18,
    }
    assert (day["window"], day["used"], day["remaining"]) == ("day", 2, 998)
    assert 58 <= minute["reset_after_seconds"] <= 60
    assert 86_398 <= day["reset_after_seconds"] <= 86_400
    reset_at = datetime.fromisoformat(minute["reset_at"])
    assert utcnow() + timedelta(seconds=55) <= reset_at <= utcnow() + timedelta(seconds=61)


async def test_an_unused_window_has_nothing_to_free(
    request_client: httpx.AsyncClient, alice: User, auth: Callable[[User], Headers]
) -> None:
    body = (await request_client.get("/users/me/limits", headers=auth(alice))).json()

    assert [(w["used"], w["reset_at"], w["reset_after_seconds"]) for w in body["windows"]] == [
        (0, None, 0),
        (0, None, 0),
    ]


async def test_reading_limits_needs_the_read_scope(
    request_client: httpx.AsyncClient, request_runtime: RequestRuntime, alice: User
) -> None:
    reader = {"X-API-Key": await insert_api_key(request_runtime, alice, scopes=["requests:read"])}
    writer = {"X-API-Key": await insert_api_key(request_runtime, alice, scopes=["requests:write"])}

    allowed = await request_client.get("/users/me/limits", headers=reader)
    refused = await request_client.get("/users/me/limits", headers=writer)

    assert allowed.status_code == 200
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden.scope")


async def test_a_per_type_limit_refuses_that_type_only_and_names_it(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    submit: Submit,
    alice: User,
    auth: Callable[[User], Headers],
) -> None:
    await set_type_limits(request_runtime, {"weather": WEATHER_LIMITS})
    admitted = [await submit(alice) for _ in range(3)]
    refused = await submit(alice)
    other = await submit(alice, request_type="census")

    assert [a.status_code for a in admitted] == [201, 201, 201]
    assert admitted[1].headers["X-RateLimit-Warning"] == "weather/minute"
    assert admitted[0].headers["RateLimit"] == '"weather/minute";r=2;t=60'
    assert refused.status_code == 429
    assert {k: refused.json()[k] for k in ("code", "window", "request_type")} == {
        "code": "rate_limited",
        "window": "minute",
        "request_type": "weather",
    }
    assert refused.headers["RateLimit"].startswith('"weather/minute";r=0;t=')
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert other.status_code == 201  # census has no limit of its own
    quota = (await request_client.get("/users/me/limits", headers=auth(alice))).json()
    assert [w["used"] for w in quota["windows"]] == [4, 4]  # the refused one counted nowhere
    [weather] = quota["request_types"]
    assert weather["request_type"] == "weather"
    assert [(w["window"], w["hard"], w["used"]) for w in weather["windows"]] == [
        ("minute", 3, 3),
        ("day", 50, 3),
    ]


async def test_a_grant_tighter_than_the_profile_wins_for_its_user_only(
    request_runtime: RequestRuntime,
    submit: Submit,
    alice: User,
    replica_user: ReplicaUserFactory,
) -> None:
    bob = await replica_user("bob")
    await set_type_limits(request_runtime, {"weather": WEATHER_LIMITS})
    await grant(request_runtime, alice, "weather", {"minute": {"soft": 1, "hard": 1}})

    alices = [(await submit(alice)).status_code for _ in range(2)]
    bobs = [(await submit(bob)).status_code for _ in range(3)]

    assert alices == [201, 429]
    assert bobs == [201, 201, 201]


async def test_fifty_racing_submissions_admit_exactly_a_per_type_hard_limit(
    request_runtime: RequestRuntime, submit: Submit, alice: User
) -> None:
    await set_type_limits(request_runtime, {"weather": {"hour": {"soft": 5, "hard": 12}}})

    answers = await asyncio.gather(
        *(submit(alice, parameters={"city": f"c{i}"}) for i in range(50))
    )

    assert sorted(a.status_code for a in answers) == [201] * 12 + [429] * 38


async def test_an_admin_reads_and_resets_a_users_usage_audited(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    submit: Submit,
    alice: User,
    replica_user: ReplicaUserFactory,
    auth: Callable[[User], Headers],
) -> None:
    admin = await replica_user("root", role="admin")
    await set_type_limits(request_runtime, {"weather": WEATHER_LIMITS})
    for _ in range(3):
        await submit(alice)
    path = f"/admin/users/{alice.id}/limits"

    before = await request_client.get(path, headers=auth(admin))
    reset = await request_client.post(f"{path}/reset", headers=auth(admin))
    after = await request_client.get(path, headers=auth(admin))

    assert [w["used"] for w in before.json()["windows"]] == [3, 3]
    assert reset.status_code == 204
    assert [w["used"] for w in after.json()["windows"]] == [0, 0]
    assert [w["used"] for w in after.json()["request_types"][0]["windows"]] == [0, 0]
    assert (await submit(alice)).status_code == 201  # the per-type minute has room again
    async with request_runtime.unit_of_work() as uow:
        events = (
            await uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "limits.reset"))
        ).all()
    assert [(e.object_type, e.object_id, e.actor_name) for e in events] == [
        ("user", str(alice.id), "root")
    ]


async def test_resetting_an_unknown_user_is_404_and_changes_nothing(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    submit: Submit,
    alice: User,
    replica_user: ReplicaUserFactory,
    auth: Callable[[User], Headers],
) -> None:
    admin = await replica_user("root", role="admin")
    await submit(alice)

    missing = await request_client.post(
        f"/admin/users/{uuid.uuid4()}/limits/reset", headers=auth(admin)
    )
    read_missing = await request_client.get(
        f"/admin/users/{uuid.uuid4()}/limits", headers=auth(admin)
    )

    assert (missing.status_code, missing.json()["code"]) == (404, "not_found.user")
    assert (read_missing.status_code, read_missing.json()["code"]) == (404, "not_found.user")
    mine = (await request_client.get("/users/me/limits", headers=auth(alice))).json()
    assert [w["used"] for w in mine["windows"]] == [1, 1]
    async with request_runtime.unit_of_work() as uow:
        events = await uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "limits.reset")
        )
        assert events.all() == []


async def test_a_plain_user_cannot_read_or_reset_anyones_limits(
    request_client: httpx.AsyncClient,
    submit: Submit,
    alice: User,
    auth: Callable[[User], Headers],
) -> None:
    await submit(alice)
    path = f"/admin/users/{alice.id}/limits"

    read = await request_client.get(path, headers=auth(alice))
    reset = await request_client.post(f"{path}/reset", headers=auth(alice))

    assert (read.status_code, read.json()["code"]) == (403, "forbidden.role")
    assert (reset.status_code, reset.json()["code"]) == (403, "forbidden.role")
    mine = (await request_client.get("/users/me/limits", headers=auth(alice))).json()
    assert [w["used"] for w in mine["windows"]] == [1, 1]
