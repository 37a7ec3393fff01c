"""Session services (PostgreSQL, Redis) and per-test databases on both backends.

Under pytest-xdist each worker is a session of its own: it starts its own PostgreSQL cluster
and redis-server, so tests on different workers never share a database or a Redis db number.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import structlog
from fastapi import FastAPI
from redis.asyncio import Redis

from core.migrations import upgrade
from request_network.app import create_app as create_request_app
from request_network.bootstrap import MIGRATIONS as REQUEST_MIGRATIONS
from request_network.jobs import registry as request_registry
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.app import create_app as create_response_app
from response_network.bootstrap import MIGRATIONS as RESPONSE_MIGRATIONS
from response_network.jobs import registry as response_registry
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from tests.services import PostgresServer, RedisServer, run_postgres, run_redis
from tests.waiting import SCALE

MIGRATIONS = {"response": RESPONSE_MIGRATIONS, "request": REQUEST_MIGRATIONS}
BACKENDS = ("embedded", "production")


def pytest_configure(config: pytest.Config) -> None:
    # structlog's default renders an exception with rich, highlighting every frame: seconds
    # per logged error, and nobody reads captured output in colour. The same lines, plain.
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.StackInfoRenderer(),
            structlog.dev.set_exc_info,
            structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S", utc=False),
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            ),
        ]
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow tests first, so that under xdist they overlap the many short ones instead of
    running alone at the end; every timeout times AIRLOCK_TEST_TIMEOUT_SCALE."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if SCALE == 1:
        return
    default = config.getoption("timeout", None) or config.getini("timeout")
    for item in items:
        marker = item.get_closest_marker("timeout")
        seconds = (marker.args or [marker.kwargs.get("timeout")])[0] if marker else default
        if seconds:
            item.add_marker(pytest.mark.timeout(float(seconds) * SCALE), append=False)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with run_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with run_redis() as server:
        yield server


class Databases:
    """Fresh, migrated databases in milliseconds: copies of a template migrated once."""

    def __init__(self, postgres: PostgresServer, directory: Path) -> None:
        self.postgres = postgres
        self.directory = directory
        self._sqlite_templates: dict[str, Path] = {}
        self._pg_templates: set[str] = set()

    async def _execute(self, statement: str) -> None:
        connection = await asyncpg.connect(self.postgres.dsn())
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    async def empty_postgres(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        await self._execute(f'CREATE DATABASE "{name}"')
        return self.postgres.url(name)

    def empty_sqlite(self) -> str:
        return f"sqlite+aiosqlite:///{self.directory / f't_{uuid.uuid4().hex[:12]}.db'}"

    async def migrated(self, network: str, backend: str) -> str:
        if backend == "embedded":
            template = self._sqlite_templates.get(network)
            if template is None:
                template = self.directory / f"template_{network}.db"
                await asyncio.to_thread(
                    upgrade, MIGRATIONS[network], f"sqlite+aiosqlite:///{template}"
                )
                self._sqlite_templates[network] = template
            target = self.directory / f"{network}_{uuid.uuid4().hex[:12]}.db"
            shutil.copyfile(template, target)
            return f"sqlite+aiosqlite:///{target}"
        template_name = f"template_{network}"
        if template_name not in self._pg_templates:
            await self._execute(f'CREATE DATABASE "{template_name}"')
            await asyncio.to_thread(upgrade, MIGRATIONS[network], self.postgres.url(template_name))
            self._pg_templates.add(template_name)
        name = f"{network}_{uuid.uuid4().hex[:12]}"
        await self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
        return self.postgres.url(name)


@pytest.fixture(scope="session")
def databases(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return Databases(postgres, tmp_path_factory.mktemp("databases"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test on the embedded default and on PostgreSQL + Redis."""
    return str(request.param)


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> str:
    url = redis_server.url()
    client = Redis.from_url(url)
    await client.flushdb()
    await client.aclose()
    return url


SettingsFactory = Callable[..., Any]

METRICS_TOKEN = "scrape-token-for-the-tests-0123456789"
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}
"""The request network refuses `/metrics` without its token: scrapes there send this."""


@pytest.fixture
async def response_settings(
    backend: str, databases: Databases, redis_server: RedisServer, tmp_path: Path
) -> ResponseSettings:
    return ResponseSettings(
        environment="test",
        var_dir=tmp_path / "response",
        transfer_dir=tmp_path / "transfer",
        database_url=await databases.migrated("response", backend),
        redis_url=redis_server.url() if backend == "production" else None,
        admin_password="correct horse battery staple",
        jobs_enabled=False,
    )


@pytest.fixture
async def request_settings(
    backend: str, databases: Databases, redis_server: RedisServer, tmp_path: Path
) -> RequestSettings:
    return RequestSettings(
        environment="test",
        var_dir=tmp_path / "request",
        transfer_dir=tmp_path / "transfer",
        database_url=await databases.migrated("request", backend),
        redis_url=redis_server.url(1) if backend == "production" else None,
        jobs_enabled=False,
        metrics_token=METRICS_TOKEN,
    )


@pytest.fixture
async def response_runtime(response_settings: ResponseSettings) -> AsyncIterator[ResponseRuntime]:
    runtime = ResponseRuntime.build(response_settings, response_registry, start_scheduler=False)
    if runtime.redis is not None:
        await runtime.redis.flushdb()
    yield runtime
    await runtime.close()


@pytest.fixture
async def request_runtime(request_settings: RequestSettings) -> AsyncIterator[RequestRuntime]:
    runtime = RequestRuntime.build(request_settings, request_registry, start_scheduler=False)
    if runtime.redis is not None:
        await runtime.redis.flushdb()
    yield runtime
    await runtime.close()


async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
async def response_client(
    response_settings: ResponseSettings, response_runtime: ResponseRuntime
) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(create_response_app(response_settings, response_runtime)):
        yield client


@pytest.fixture
async def request_client(
    request_settings: RequestSettings, request_runtime: RequestRuntime
) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(create_request_app(request_settings, request_runtime)):
        yield client
