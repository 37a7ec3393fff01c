"""`GET /requests/{id}/response`: through the cache, delivered once, never stale."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from request_network.requests.models import RequestStatus
from request_network.responses.cache import Fill
from request_network.responses.service import Snapshot, load_snapshot
from request_network.responses.stream import apply_response_records
from request_network.runtime import RequestRuntime
from request_network.users.models import User
from tests.request_network.conftest import redis_commands
from tests.request_network.replica import insert_api_key
from tests.request_network.responses.conftest import (
    ApplyResponses,
    Headers,
    counted_statements,
    history,
    insert_request,
    loads,
    misses,
    response,
    stored_request,
)


async def warm_pool(client: httpx.AsyncClient, headers: Headers) -> None:
    """Open the pool's connections first, so the reads that follow really run together."""
    await asyncio.gather(*(client.get("/users/me", headers=headers) for _ in range(20)))


async def test_the_first_read_misses_the_next_hits_without_the_database(
    request_runtime: RequestRuntime,
    alice: User,
    admin: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id, body={"temperature": 21}))
    url = f"/requests/{request_id}/response"

    first = await request_client.get(url, headers=auth(admin))
    with counted_statements(request_runtime) as hit_statements:
        second = await request_client.get(url, headers=auth(admin))
    with counted_statements(request_runtime) as auth_statements:
        await request_client.get("/users/me", headers=auth(admin))

    assert (first.status_code, first.headers["X-Cache"]) == (200, "miss")
    assert (second.status_code, second.headers["X-Cache"]) == (200, "hit")
    assert second.content == first.content
    assert first.json() | {"answered_at": None} == {
        "request_id": str(request_id),
        "status": "answered",
        "answer_number": 1,
        "content_type": "application/json",
        "body": {"temperature": 21},
        "reason": None,
        "answered_at": None,
        "answered_by": "handler:echo",
    }
    # Authentication is all the hit costs the database.
    assert len(hit_statements) == len(auth_statements)
    assert loads(request_runtime) == 1


@pytest.mark.parametrize("backend", ["production"])
async def test_on_redis_a_hit_read_with_a_token_is_one_round_trip(
    request_runtime: RequestRuntime,
    alice: User,
    admin: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The token's revocation and the answer are read together: one MGET, not two GETs.
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id, body={"temperature": 21}))
    url = f"/requests/{request_id}/response"
    first = await request_client.get(url, headers=auth(admin))

    with redis_commands(request_runtime, monkeypatch) as sent:
        hit = await request_client.get(url, headers=auth(admin))

    assert (hit.headers["X-Cache"], hit.content) == ("hit", first.content)
    assert sent == ["MGET"]


async def test_the_owners_first_read_delivers_once_an_admins_read_does_not(
    request_runtime: RequestRuntime,
    alice: User,
    admin: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id))
    url = f"/requests/{request_id}/response"

    by_admin = await request_client.get(url, headers=auth(admin))
    status_after_admin = (await stored_request(request_runtime, request_id)).status
    first = await request_client.get(url, headers=auth(alice))
    with counted_statements(request_runtime) as statements:
        later = await request_client.get(url, headers=auth(alice))
    with counted_statements(request_runtime) as auth_statements:
        await request_client.get("/users/me", headers=auth(alice))

    assert by_admin.json()["status"] == "answered"
    assert status_after_admin == RequestStatus.ANSWERED
    assert (first.headers["X-Cache"], first.json()["status"]) == ("hit", "delivered")
    assert (later.headers["X-Cache"], later.json()["status"]) == ("hit", "delivered")
    assert (await stored_request(request_runtime, request_id)).status == RequestStatus.DELIVERED
    assert [status for status, _ in await history(request_runtime, request_id)] == [
        "answered",
        "delivered",
    ]
    assert len(statements) == len(auth_statements)


async def test_a_delivered_answer_read_again_after_the_cache_lost_it_stays_delivered(
    request_runtime: RequestRuntime,
    alice: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id))
    url = f"/requests/{request_id}/response"
    await request_client.get(url, headers=auth(alice))

    await request_runtime.response_cache.clear()
    again = await request_client.get(url, headers=auth(alice))

    assert (again.headers["X-Cache"], again.json()["status"]) == ("miss", "delivered")
    assert [status for status, _ in await history(request_runtime, request_id)] == [
        "answered",
        "delivered",
    ]


async def test_concurrent_first_reads_load_once_and_deliver_once(
    request_runtime: RequestRuntime,
    alice: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id, body={"rows": list(range(100))}))
    headers = auth(alice)
    await warm_pool(request_client, headers)

    answers = await asyncio.gather(
        *(
            request_client.get(f"/requests/{request_id}/response", headers=headers)
            for _ in range(20)
        )
    )

    assert {answer.status_code for answer in answers} == {200}
    assert {answer.json()["status"] for answer in answers} == {"delivered"}
    assert misses(request_runtime) > 1  # the reads did race: more than one missed
    assert loads(request_runtime) == 1
    assert [status for status, _ in await history(request_runtime, request_id)] == [
        "answered",
        "delivered",
    ]


async def test_concurrent_admin_reads_of_a_cold_answer_load_it_once(
    request_runtime: RequestRuntime,
    alice: User,
    admin: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id))
    headers = auth(admin)
    await warm_pool(request_client, headers)

    answers = await asyncio.gather(
        *(
            request_client.get(f"/requests/{request_id}/response", headers=headers)
            for _ in range(20)
        )
    )

    assert len({answer.content for answer in answers}) == 1
    assert misses(request_runtime) > 1
    assert loads(request_runtime) == 1


async def test_an_unanswered_request_is_404_with_its_status(
    request_runtime: RequestRuntime,
    alice: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    request_id = await insert_request(request_runtime, alice)
    url = f"/requests/{request_id}/response"

    exported = await request_client.get(url, headers=auth(alice))
    await apply_responses(response(request_id, status="processing"))
    processing = await request_client.get(url, headers=auth(alice))

    assert (exported.status_code, exported.json()["code"]) == (404, "not_answered")
    assert exported.json()["status"] == "exported"
    assert (processing.status_code, processing.json()["status"]) == (404, "processing")


async def test_someone_elses_answer_is_404_cached_or_not(
    request_runtime: RequestRuntime,
    alice: User,
    bob: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    request_id = await insert_request(request_runtime, alice)
    unanswered = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id))
    url = f"/requests/{request_id}/response"

    cold = await request_client.get(url, headers=auth(bob))
    await request_client.get(url, headers=auth(alice))
    warm = await request_client.get(url, headers=auth(bob))
    pending = await request_client.get(f"/requests/{unanswered}/response", headers=auth(bob))
    missing = await request_client.get(f"/requests/{bob.id}/response", headers=auth(bob))
    anonymous = await request_client.get(url)

    for refused in (cold, warm, pending, missing):
        assert (refused.status_code, refused.json()["code"]) == (404, "not_found.request")
    assert "status" not in pending.json()
    assert anonymous.status_code == 401
    assert (await stored_request(request_runtime, request_id)).status == RequestStatus.DELIVERED


async def test_a_newer_answer_replaces_the_cached_one(
    request_runtime: RequestRuntime,
    alice: User,
    admin: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id, version=1))
    url = f"/requests/{request_id}/response"
    await request_client.get(url, headers=auth(admin))

    await apply_responses(response(request_id, version=2, answer_number=2))
    fresh = await request_client.get(url, headers=auth(admin))
    cached = await request_client.get(url, headers=auth(admin))

    assert (fresh.headers["X-Cache"], fresh.json()["body"]) == ("miss", {"answer": 2})
    assert (cached.headers["X-Cache"], cached.json()["body"]) == ("hit", {"answer": 2})


async def test_a_read_that_loaded_before_an_import_committed_does_not_cache_it(
    request_runtime: RequestRuntime,
    alice: User,
    admin: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id, version=1))
    cache = request_runtime.response_cache

    async def load_then_import() -> Fill[Snapshot | None]:
        # The reader has the old answer in hand when the newer one commits.
        async with request_runtime.unit_of_work() as uow:
            snapshot = await load_snapshot(session=uow.session, request_id=request_id)
        await apply_responses(response(request_id, version=2, answer_number=2))
        assert snapshot is not None
        return Fill(snapshot, snapshot.answer)

    raced = await cache.load(request_id, load_then_import)
    read = await request_client.get(f"/requests/{request_id}/response", headers=auth(admin))

    assert isinstance(raced, Snapshot)
    assert raced.answer is not None
    assert raced.answer.answer_number == 1
    assert (read.headers["X-Cache"], read.json()["answer_number"]) == ("miss", 2)


async def test_reads_while_an_import_is_open_are_served_but_not_cached(
    request_runtime: RequestRuntime,
    alice: User,
    admin: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id, version=1))
    url = f"/requests/{request_id}/response"
    await request_client.get(url, headers=auth(admin))
    cache = request_runtime.response_cache

    async with request_runtime.unit_of_work() as uow:
        await apply_response_records(
            uow.session, [response(request_id, version=2, answer_number=2)], cache=cache
        )
        during = [await request_client.get(url, headers=auth(admin)) for _ in range(2)]
    after = await request_client.get(url, headers=auth(admin))

    assert [(r.headers["X-Cache"], r.json()["answer_number"]) for r in during] == [
        ("miss", 1),
        ("miss", 1),
    ]
    assert (after.headers["X-Cache"], after.json()["answer_number"]) == ("miss", 2)


@pytest.mark.parametrize(
    "way_in",
    ["token", "api key", "api key as bearer", "nothing", "a bad token", "another scheme"],
)
async def test_an_answer_is_read_with_any_way_in_the_other_routes_take(
    way_in: str,
    request_runtime: RequestRuntime,
    alice: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    """The route reads its caller itself (it takes no dependencies, for speed): the same
    credentials as everywhere work, and the rest get the same 401s."""
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id, body={"ok": True}))
    secret = await insert_api_key(request_runtime, alice)
    headers = {
        "token": auth(alice),
        "api key": {"X-API-Key": secret},
        "api key as bearer": {"Authorization": f"Bearer {secret}"},
        "nothing": {},
        "a bad token": {"Authorization": "Bearer not-a-token"},
        "another scheme": {"Authorization": f"Basic {secret}"},
    }[way_in]

    answer = await request_client.get(f"/requests/{request_id}/response", headers=headers)

    if way_in in ("token", "api key", "api key as bearer"):
        assert (answer.status_code, answer.json()["body"]) == (200, {"ok": True})
        assert (await stored_request(request_runtime, request_id)).status == "delivered"
    else:
        code = "unauthorized.token" if way_in == "a bad token" else "unauthorized.missing"
        assert (answer.status_code, answer.json()["code"]) == (401, code)
        assert (await stored_request(request_runtime, request_id)).status == "answered"
