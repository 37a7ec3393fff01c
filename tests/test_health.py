"""Liveness and readiness of both networks, and what happens when the database goes away."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from core.jobs import JobRegistry
from response_network.app import create_app
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from tests.conftest import Databases
from tests.services import PostgresServer


async def test_response_network_is_live_and_ready(
    response_client: httpx.AsyncClient, backend: str
) -> None:
    assert (await response_client.get("/health")).json() == {"status": "ok"}
    ready = await response_client.get("/health/ready")
    assert ready.status_code == 200
    cache = "redis" if backend == "production" else "cache"
    assert ready.json()["checks"] == {"database": "ok", cache: "ok", "transfer_dir": "ok"}


async def test_request_network_is_live_and_ready(request_client: httpx.AsyncClient) -> None:
    assert (await request_client.get("/health")).status_code == 200
    assert (await request_client.get("/health/ready")).status_code == 200


async def test_openapi_has_stable_operation_ids(request_client: httpx.AsyncClient) -> None:
    spec = (await request_client.get("/openapi.json")).json()
    ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"liveness", "readiness"} <= ids


class TcpProxy:
    """Stands for the network between the API and PostgreSQL, so the test can cut it."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.server: asyncio.Server | None = None
        self.port = 0
        self._pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port or 0, reuse_address=True
        )
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for task in list(self._pipes):
            task.cancel()
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", self.target_port
        )

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        for task in (
            asyncio.create_task(pipe(reader, upstream_writer)),
            asyncio.create_task(pipe(upstream_reader, writer)),
        ):
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)


@pytest.fixture
async def proxied_client(
    postgres: PostgresServer, databases: Databases, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, TcpProxy]]:
    url = await databases.migrated("response", "production")
    proxy = TcpProxy(postgres.port)
    await proxy.start()
    settings = ResponseSettings(
        var_dir=tmp_path,
        database_url=url.replace(f":{postgres.port}/", f":{proxy.port}/"),
        jobs_enabled=False,
    )
    app = create_app(settings, ResponseRuntime.build(settings, JobRegistry("x")))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client, proxy
    with contextlib.suppress(Exception):
        await proxy.stop()


async def test_database_down_is_503_naming_it_then_recovers(
    proxied_client: tuple[httpx.AsyncClient, TcpProxy],
) -> None:
    client, proxy = proxied_client
    assert (await client.get("/health/ready")).status_code == 200

    await proxy.stop()
    down = await client.get("/health/ready")
    assert down.status_code == 503
    body = down.json()
    assert body["code"] == "unavailable.dependency"
    assert body["checks"]["database"].startswith("failed")
    assert body["checks"]["cache"] == "ok"
    assert (await client.get("/health")).status_code == 200

    await proxy.start()
    assert (await client.get("/health/ready")).status_code == 200
