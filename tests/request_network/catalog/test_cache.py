"""Submissions read the catalog from each process's cache, and see an import at once.

The catalog is imported from the response network as it is in production (export, then the
replica's import); the submissions go through the API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import utcnow
from core.security import TokenIssuer
from request_network.app import create_app
from request_network.jobs import registry
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.catalog.models import Grant, Profile, RequestType
from tests.shared.exchange.conftest import Networks
from tests.shared.exchange.test_catalog_sync import sync

SCHEMA = {"type": "object", "properties": {"q": {"type": "string"}}}


async def master_catalog(networks: Networks) -> uuid.UUID:
    """On the master: `lookup` open to the `default` profile, `census` not; one user."""
    [user_id] = await networks.create_users(1)
    async with networks.response.unit_of_work() as uow:
        uow.session.add_all(
            [
                RequestType(name=name, title=name, handler="echo", parameter_schema=SCHEMA)
                for name in ("lookup", "census")
            ]
            + [Profile(name="default", allowed_types=["lookup"])]
        )
    await sync(networks)
    return user_id


async def change_master(networks: Networks, **changes: Any) -> None:
    """Change the master's catalog (`lookup`'s `active`, a `grant` of census, a `revoke` of
    it, the profile's `blocked`), then export and import it."""
    async with networks.response.unit_of_work() as uow:
        session = uow.session
        if "active" in changes:
            lookup = await session.scalar(select(RequestType).where(RequestType.name == "lookup"))
            assert lookup is not None
            lookup.active = changes["active"]
        if "grant" in changes:
            session.add(Grant(user_id=changes["grant"], request_type="census"))
        if "revoke" in changes:
            grant = await session.scalar(select(Grant).where(Grant.user_id == changes["revoke"]))
            assert grant is not None
            grant.revoked_at = utcnow()
        if "blocked" in changes:
            profile = await session.scalar(select(Profile).where(Profile.name == "default"))
            assert profile is not None
            profile.blocked_types = changes["blocked"]
    await sync(networks)


def submitter(client: httpx.AsyncClient, tokens: TokenIssuer, user_id: uuid.UUID) -> Any:
    headers = {"Authorization": f"Bearer {tokens.issue(str(user_id))[0]}"}

    async def submit(request_type: str) -> tuple[int, str | None]:
        body = {"request_type": request_type, "parameters": {"q": "x"}}
        answer = await client.post("/requests", json=body, headers=headers)
        return answer.status_code, answer.json().get("code")

    return submit


async def test_an_imported_change_is_seen_by_the_next_submission(
    networks: Networks, request_client: httpx.AsyncClient, request_tokens: TokenIssuer
) -> None:
    user_id = await master_catalog(networks)
    submit = submitter(request_client, request_tokens, user_id)
    assert await submit("lookup") == (201, None)
    assert await submit("census") == (403, "forbidden.request_type")

    await change_master(networks, active=False, grant=user_id)

    assert await submit("lookup") == (422, "invalid.request_type")
    assert await submit("census") == (201, None)

    await change_master(networks, active=True, revoke=user_id, blocked=["lookup"])

    assert await submit("lookup") == (403, "forbidden.request_type")
    assert await submit("census") == (403, "forbidden.request_type")


@contextmanager
def catalog_reads(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements that read the catalog tables while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        tables = ("FROM profile", "FROM request_type", "FROM type_grant")
        if any(table in statement for table in tables):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_a_submission_after_the_first_reads_no_catalog_row(
    networks: Networks,
    request_runtime: RequestRuntime,
    request_client: httpx.AsyncClient,
    request_tokens: TokenIssuer,
) -> None:
    user_id = await master_catalog(networks)
    submit = submitter(request_client, request_tokens, user_id)

    with catalog_reads(request_runtime.engine) as first:
        assert await submit("lookup") == (201, None)
    with catalog_reads(request_runtime.engine) as second:
        assert await submit("lookup") == (201, None)

    # Profile, type, grants: once each, in one query each.
    assert (len(first), second) == (3, [])


@pytest.fixture
async def api_processes(
    request_settings: RequestSettings,
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two API instances, each with its runtime (its own catalog cache), as two processes."""
    runtimes = [
        RequestRuntime.build(request_settings, registry, start_scheduler=False) for _ in "ab"
    ]
    clients = []
    try:
        for runtime in runtimes:
            app = create_app(request_settings, runtime)
            transport = httpx.ASGITransport(app=app)
            clients.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        yield clients
    finally:
        for client in clients:
            await client.aclose()
        for runtime in runtimes:
            await runtime.close()


@pytest.mark.parametrize("backend", ["production"])
async def test_every_api_process_sees_an_import_another_process_ran(
    networks: Networks, api_processes: list[httpx.AsyncClient], request_tokens: TokenIssuer
) -> None:
    user_id = await master_catalog(networks)
    submits = [submitter(client, request_tokens, user_id) for client in api_processes]
    for submit in submits:
        assert await submit("lookup") == (201, None)

    # The import runs in `networks.request`: a third process (a Celery worker).
    await change_master(networks, active=False)

    assert [await submit("lookup") for submit in submits] == [(422, "invalid.request_type")] * 2
