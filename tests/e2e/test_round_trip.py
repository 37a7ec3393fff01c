"""The product end to end, in real processes: ask on one network, answer on the other, read.

Both modes run the way an operator runs them: the embedded default (`make run`: SQLite,
in-process jobs) and production (PostgreSQL, Redis, a Celery worker and beat per network).
Every step goes through the HTTP APIs; the batches cross the shared transfer directory on the
jobs' own schedule. The production system then passes validate_setup.sh, and fails it with one
database a migration behind: started once for both, since six processes cost a worker 45 s.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from core.migrations import downgrade, head_revision
from request_network.bootstrap import MIGRATIONS as REQUEST_MIGRATIONS
from tests.conftest import METRICS_AUTH, Databases
from tests.deployment import (
    ADMIN_PASSWORD,
    PASSWORD,
    Deployment,
    bearer,
    create_users,
    deploy,
    token,
    until,
)
from tests.ops.validating import check_names, expected_names, failures, validate_setup
from tests.services import RedisServer

pytestmark = pytest.mark.slow


@pytest.fixture(params=["embedded", "production"])
async def deployment(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    databases: Databases,
    redis_server: RedisServer,
) -> AsyncIterator[Deployment]:
    mode = str(request.param)
    postgres = redis = None
    if mode == "production":
        postgres = (await databases.empty_postgres(), await databases.empty_postgres())
        redis = (redis_server.url(4), redis_server.url(5))
    async with deploy(mode, tmp_path, postgres_urls=postgres, redis_urls=redis) as running:
        yield running


async def read_answer(
    client: httpx.AsyncClient, deployment: Deployment, request_id: str, user: str, number: int
) -> httpx.Response:
    """The first read that shows answer `number` of the request (earlier reads are polled past)."""

    async def probe() -> httpx.Response | None:
        answer = await client.get(
            f"{deployment.request_url}/requests/{request_id}/response", headers=bearer(user)
        )
        if answer.status_code == 404:
            assert answer.json()["code"] == "not_answered", answer.text
            return None
        assert answer.status_code == 200, answer.text
        return answer if answer.json()["answer_number"] >= number else None

    return await until(deployment, f"answer {number} of {request_id}", probe)


async def read_cached(
    client: httpx.AsyncClient, deployment: Deployment, request_id: str, user: dict[str, str]
) -> httpx.Response:
    """The answer from the cache, on the read after the one that loaded it, or on the next.

    A read that loaded while the import's invalidation was still closing (its commit
    visible, the after-commit step not run yet) is served but not cached, by design: then
    the read after it loads and caches, and the one after that hits.
    """
    url = f"{deployment.request_url}/requests/{request_id}/response"
    for _ in range(2):
        answer = await client.get(url, headers=user)
        assert answer.status_code == 200, answer.text
        if answer.headers["X-Cache"] == "hit":
            return answer
    raise AssertionError(f"two reads of {request_id}'s answer after it loaded, and no hit")


SITE_SEARCH = {
    "name": "equipment_at_site",
    "title": "Equipment at one site",
    "handler": "search",
    "handler_settings": {
        "index": "equipment",
        "text_param": "q",
        "text_fields": ["title", "summary"],
        "filter_params": {"site": "site"},
        "max_results": 5,
    },
    "parameter_schema": {
        "type": "object",
        "properties": {"q": {"type": "string", "maxLength": 100}, "site": {"type": "string"}},
        "required": ["q", "site"],
        "additionalProperties": False,
    },
}
PROFILE_MAX_RESULTS = 3
ANALYSTS: dict[str, object] = {
    "name": "analysts",
    "description": "Echo and site searches only.",
    "limits": {"minute": {"soft": 50, "hard": 100}},
    "allowed_types": ["echo", "equipment_at_site"],
    "max_results": PROFILE_MAX_RESULTS,
}


async def define_catalog(client: httpx.AsyncClient, deployment: Deployment) -> None:
    """A search type and a profile of the test's own, defined as an admin would."""
    admin = bearer(await token(client, deployment.response_url, "admin", ADMIN_PASSWORD))
    for path, body in (("request-types", SITE_SEARCH), ("profiles", ANALYSTS)):
        created = await client.post(
            f"{deployment.response_url}/admin/{path}", headers=admin, json=body
        )
        assert created.status_code == 201, created.text


async def test_ask_answer_and_read_across_the_gap(deployment: Deployment) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        await define_catalog(client, deployment)
        alice, olga = await create_users(client, deployment, "user", "operator", profile="analysts")
        user_token = await token(client, deployment.request_url, alice, PASSWORD)
        user = bearer(user_token)

        async def types_synced() -> set[str] | None:
            # Users and the catalog travel on separate streams: the user may land first.
            types = await client.get(f"{deployment.request_url}/request-types", headers=user)
            names = {t["name"] for t in types.json()}
            return names if "equipment_at_site" in names else None

        # The profile opens exactly its two types; the seeded demo search is not among them.
        assert await until(deployment, "the catalog's sync", types_synced) == {
            "echo",
            "equipment_at_site",
        }
        refused = await client.post(
            f"{deployment.request_url}/requests",
            headers=user,
            json={"request_type": "equipment_search", "parameters": {"q": "pump"}},
        )
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden.request_type")

        echo = await client.post(
            f"{deployment.request_url}/requests",
            headers=user,
            json={"request_type": "echo", "parameters": {"message": "hello across"}},
        )
        site = await _a_site(client, deployment)
        search = await client.post(
            f"{deployment.request_url}/requests",
            headers=user,
            json={"request_type": "equipment_at_site", "parameters": {"q": "pump", "site": site}},
        )
        assert (echo.status_code, search.status_code) == (201, 201), (echo.text, search.text)
        echo_id, search_id = echo.json()["id"], search.json()["id"]

        first = await read_answer(client, deployment, echo_id, user_token, 1)
        assert first.headers["X-Cache"] == "miss"
        # The owner's first read delivers the answer, and says so.
        assert (first.json()["status"], first.json()["body"]) == (
            "delivered",
            {"message": "hello across"},
        )
        again = await read_cached(client, deployment, echo_id, user)
        assert again.json()["body"] == first.json()["body"]
        read = await client.get(f"{deployment.request_url}/requests/{echo_id}", headers=user)
        detail = read.json()
        assert detail["status"] == "delivered"
        # `received` and `processing` may not show: the export sends a request's state as it
        # is then, and the echo handler answers before the next export runs.
        history = [event["status"] for event in detail["history"]]
        assert history[:2] == ["pending", "exported"]
        assert history[-2:] == ["answered", "delivered"]

        hits = (await read_answer(client, deployment, search_id, user_token, 1)).json()
        assert hits["status"] == "delivered"
        found = hits["body"]["hits"]
        # Capped by the profile (3), below the type's 5; every hit matches the site filter.
        assert 0 < len(found) <= PROFILE_MAX_RESULTS
        assert all(hit["source"]["site"] == site for hit in found)
        assert all("pump" in str(hit["source"]).lower() for hit in found)

        imported_before = await _responses_imported(client, deployment)

        # An operator corrects the automated answer; the new one replaces the cached one.
        operator = bearer(await token(client, deployment.response_url, olga, PASSWORD))
        claimed = await client.post(
            f"{deployment.response_url}/requests/{echo_id}/claim", headers=operator
        )
        assert claimed.status_code == 200, claimed.text
        answered = await client.post(
            f"{deployment.response_url}/requests/{echo_id}/response",
            headers=operator,
            json={"status": "answered", "body": {"message": "corrected by an operator"}},
        )
        assert answered.status_code == 200, answered.text

        second = await read_answer(client, deployment, echo_id, user_token, 2)
        assert second.headers["X-Cache"] == "miss"
        assert second.json()["body"] == {"message": "corrected by an operator"}
        cached = await read_cached(client, deployment, echo_id, user)
        assert cached.json()["body"] == second.json()["body"]

        if deployment.mode == "embedded":
            # The jobs run inside the API process here, so the import's counter moved on the
            # API's /metrics (in production it moves on the worker's).
            assert await _responses_imported(client, deployment) > imported_before > 0
        else:
            await validates_then_a_database_behind_fails(deployment)


async def count_heartbeats(url: str) -> int:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM worker_heartbeat"))
    finally:
        await connection.close()


async def validates_then_a_database_behind_fails(deployment: Deployment) -> None:
    urls = {
        "response": deployment.env["AIRLOCK_RESPONSE_DATABASE_URL"],
        "request": deployment.request_db,
    }
    for network, url in urls.items():
        # Beat schedules the heartbeat every 10 s; a worker runs it.
        await until(
            deployment,
            f"the {network} worker's first heartbeat",
            functools.partial(count_heartbeats, url),
        )
    code, lines = await asyncio.to_thread(validate_setup, deployment.root, deployment.env)
    assert failures(lines) == []
    assert code == 0
    assert check_names(lines) == expected_names(production=True)

    await asyncio.to_thread(downgrade, REQUEST_MIGRATIONS, urls["request"], "-1")
    code, lines = await asyncio.to_thread(validate_setup, deployment.root, deployment.env)
    assert code == 1
    head = head_revision(REQUEST_MIGRATIONS)
    assert head is not None
    assert failures(lines) == [
        f"FAIL  request migrations: database at {int(head) - 1:04d}, the latest is {head} - "
        "fix: `airlock-request migrate` (the api's entrypoint migrates on start)"
    ]


async def _a_site(client: httpx.AsyncClient, deployment: Deployment) -> str:
    """A site that has pumps in the demo index, asked of the type's dry run (no request)."""
    admin = bearer(await token(client, deployment.response_url, "admin", ADMIN_PASSWORD))
    tried = await client.post(
        f"{deployment.response_url}/admin/request-types/equipment_search/try",
        headers=admin,
        json={"parameters": {"q": "pump"}},
    )
    assert tried.status_code == 200, tried.text
    hits = tried.json()["body"]["hits"]
    assert hits, "the demo index has pumps"
    return str(hits[0]["source"]["site"])


async def _responses_imported(client: httpx.AsyncClient, deployment: Deployment) -> float:
    """`airlock_batches_imported_total{stream="responses"}` on the request API's /metrics."""
    metrics = (await client.get(f"{deployment.request_url}/metrics", headers=METRICS_AUTH)).text
    for line in metrics.splitlines():
        if line.startswith('airlock_batches_imported_total{stream="responses"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
