"""The error model and request plumbing, as a client of any Airlock API sees them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.app import create_network_app
from core.errors import Conflict
from core.jobs import JobRegistry
from core.openapi import api_router
from core.runtime import Runtime
from core.settings import NetworkSettings
from tests.services import free_port


class Thing(BaseModel):
    name: str = Field(max_length=20)
    count: int


router = api_router(tags=["things"])


@router.post("/things")
async def create_thing(thing: Thing) -> Thing:
    return thing


@router.post("/things/conflict")
async def conflicting_thing() -> None:
    raise Conflict("that thing already exists", code="conflict.thing")


@router.get("/things/boom")
async def broken_thing() -> None:
    raise RuntimeError("secret internals that must not leak")


@router.get("/things/cached")
async def cached_thing() -> None:
    # A real client against a port nothing listens on: the cache is down.
    redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=1)
    try:
        await redis.get("thing")
    finally:
        await redis.aclose()


@router.get("/things/stored")
async def stored_thing() -> None:
    engine = create_async_engine(
        f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/none", connect_args={"timeout": 2}
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


@router.get("/things/bad-query")
async def bad_query() -> None:
    engine = create_async_engine("sqlite+aiosqlite://")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT * FROM no_such_table"))
    finally:
        await engine.dispose()


@pytest.fixture
async def client(tmp_path: object) -> AsyncIterator[httpx.AsyncClient]:
    settings = NetworkSettings(
        network_name="test", var_dir=tmp_path, max_body_bytes=2048, jobs_enabled=False
    )
    runtime: Runtime[Any] = Runtime.build(settings, JobRegistry("test"))
    app = create_network_app(
        title="t", description="t", version="0", runtime=runtime, routers=[router]
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield http


def test_a_router_whose_routes_the_app_would_rebuild_is_refused(tmp_path: object) -> None:
    # The app adds a router's routes as they are, so their operation ids must already be the
    # app's: a plain APIRouter's would publish FastAPI's generated ids instead.
    plain = APIRouter()

    @plain.get("/plain")
    async def plain_route() -> None: ...

    settings = NetworkSettings(network_name="test", var_dir=tmp_path, jobs_enabled=False)
    runtime: Runtime[Any] = Runtime.build(settings, JobRegistry("test"))
    with pytest.raises(ValueError, match=r"/plain: its router is not a core\.openapi\.api_router"):
        create_network_app(
            title="t", description="t", version="0", runtime=runtime, routers=[plain]
        )


async def test_two_apps_serve_the_same_declared_routes(tmp_path: Path) -> None:
    # Declared once, added to each app as they are: a second app builds none of them again.
    apps = []
    for name in ("one", "two"):
        settings = NetworkSettings(network_name="test", var_dir=tmp_path / name, jobs_enabled=False)
        runtime: Runtime[Any] = Runtime.build(settings, JobRegistry("test"))
        apps.append(
            create_network_app(
                title="t", description="t", version="0", runtime=runtime, routers=[router]
            )
        )
        await runtime.close()
    first, second = (
        {id(route) for route in app.routes if isinstance(route, APIRoute)} for app in apps
    )
    assert {id(route) for route in router.routes} <= first & second


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/route")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found.route", "detail": "no such route"}


async def test_malformed_json_is_400_with_code(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/things", content=b'{"name": "x", ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid.json"


async def test_wrong_types_are_422_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/things", json={"name": "x", "count": "many"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid.request"
    assert body["detail"].startswith("body.count")
    assert body["errors"][0]["loc"] == ["body", "count"]


async def test_domain_error_keeps_its_code(client: httpx.AsyncClient) -> None:
    response = await client.post("/things/conflict")
    assert response.status_code == 409
    assert response.json() == {"code": "conflict.thing", "detail": "that thing already exists"}


async def test_oversize_body_is_413_before_parsing(client: httpx.AsyncClient) -> None:
    response = await client.post("/things", json={"name": "x" * 5000, "count": 1})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_oversize_chunked_body_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 500

    response = await client.post(
        "/things", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_small_chunked_body_still_reaches_the_route(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "ok",'
        yield b' "count": 2}'

    response = await client.post(
        "/things", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"name": "ok", "count": 2}


async def test_unexpected_error_is_500_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/things/boom", headers={"x-request-id": "req-123"})
    assert response.status_code == 500
    assert response.json() == {
        "code": "internal_error",
        "detail": "internal error",
        "request_id": "req-123",
    }
    assert "secret internals" not in response.text


async def test_request_id_is_echoed_or_minted(client: httpx.AsyncClient) -> None:
    given = await client.get("/health", headers={"x-request-id": "abc"})
    minted = await client.get("/health")
    assert given.headers["x-request-id"] == "abc"
    assert len(minted.headers["x-request-id"]) == 32


async def test_metrics_count_requests_by_route(client: httpx.AsyncClient) -> None:
    await client.get("/health")
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert 'airlock_http_requests_total{method="GET",route="/health",status="200"}' in metrics.text


async def test_an_unreachable_cache_or_database_is_503_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    outages = (("/things/cached", "unavailable.cache"), ("/things/stored", "unavailable.backend"))
    for path, code in outages:
        answer = await client.get(path)
        assert (answer.status_code, answer.json()["code"]) == (503, code)
        assert answer.headers["Retry-After"] == "5"


async def test_a_broken_query_stays_a_500_without_internals(client: httpx.AsyncClient) -> None:
    answer = await client.get("/things/bad-query")

    assert (answer.status_code, answer.json()["code"]) == (500, "internal_error")
    assert "no_such_table" not in answer.text
