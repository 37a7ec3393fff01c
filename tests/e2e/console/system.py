"""Both networks served by uvicorn in one thread of the test process (embedded backends),
sharing a transfer directory; batches move only when a test calls `move()`, which runs the
networks' own transfer export and import jobs (and the jobs they enqueue, to the end)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from core.jobs import InProcessRunner
from core.security import hash_password
from request_network.app import create_app as create_request_app
from request_network.jobs import registry as request_registry
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.app import create_app as create_response_app
from response_network.bootstrap import seed_catalog
from response_network.catalog.models import RequestType
from response_network.jobs import registry as response_registry
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.users.models import Role, User
from tests.conftest import Databases
from tests.services import free_port
from tests.shared.exchange.conftest import exchange_keys
from tests.waiting import scaled, until

T = TypeVar("T")
PASSWORD = "a console test passphrase"

ASK = {
    "name": "ask",
    "title": "Ask an operator",
    "handler": "manual",
    "handler_settings": {},
    "parameter_schema": {
        "type": "object",
        "properties": {
            "question": {"type": "string", "title": "Question", "maxLength": 200},
            "urgent": {"type": "boolean", "title": "Urgent"},
        },
        "required": ["question"],
    },
}
PARTS = {
    "name": "parts",
    "title": "Parts in stock",
    "handler": "sql",
    "handler_settings": {
        "source": "stock",
        "query": "SELECT name, count FROM part WHERE count >= :min_count ORDER BY name",
    },
    "parameter_schema": {
        "type": "object",
        "properties": {
            "min_count": {"type": "integer", "title": "At least", "minimum": 0, "maximum": 1000}
        },
        "required": ["min_count"],
    },
}
USERS = {"olga": Role.OPERATOR, "uma": Role.USER, "ada": Role.ADMIN}


def stock_database(path: Path) -> str:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE part (name TEXT, count INTEGER)")
        db.executemany("INSERT INTO part VALUES (?, ?)", [("bolt", 12), ("nut", 40), ("gear", 0)])
    return f"sqlite+aiosqlite:///{path}"


class ConsoleSystem:
    def __init__(self, directory: Path, databases: Databases) -> None:
        self.directory = directory
        self.databases = databases
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.servers: list[uvicorn.Server] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.response_url = self.request_url = ""

    def call(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the servers' loop (where the runtimes live) and wait for it."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=scaled(60))

    def start(self) -> None:
        self.thread.start()
        self.call(self._start())

    def stop(self) -> None:
        self.call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=scaled(10))

    async def _start(self) -> None:
        transfer = self.directory / "transfer"
        self.response_settings = ResponseSettings(
            environment="test",
            var_dir=self.directory / "response",
            transfer_dir=transfer,
            database_url=await self.databases.migrated("response", "embedded"),
            jobs_enabled=False,
            sql_sources={"stock": stock_database(self.directory / "stock.db")},
        )
        self.request_settings = RequestSettings(
            environment="test",
            var_dir=self.directory / "request",
            transfer_dir=transfer,
            database_url=await self.databases.migrated("request", "embedded"),
            jobs_enabled=False,
        )
        exchange_keys(self.response_settings, self.request_settings)
        self.response = ResponseRuntime.build(
            self.response_settings, response_registry, start_scheduler=False
        )
        self.request = RequestRuntime.build(
            self.request_settings, request_registry, start_scheduler=False
        )
        await self._seed()
        self.response_url = await self._serve(
            create_response_app(self.response_settings, self.response)
        )
        self.request_url = await self._serve(
            create_request_app(self.request_settings, self.request)
        )
        await self._move()

    async def _serve(self, app: Any) -> str:
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        self.servers.append(server)
        self.tasks.append(asyncio.create_task(server.serve()))

        async def started() -> bool:
            return server.started

        await until(started, what=f"uvicorn on port {port}")
        return f"http://127.0.0.1:{port}"

    async def _stop(self) -> None:
        for server in self.servers:
            server.should_exit = True
        await asyncio.gather(*self.tasks)

    async def _seed(self) -> None:
        await seed_catalog(self.response)
        password_hash = hash_password(PASSWORD)
        async with self.response.unit_of_work() as uow:
            uow.session.add_all(
                User(
                    username=name,
                    email=f"{name}@example.org",
                    role=role,
                    active=True,
                    password_hash=password_hash,
                    # The admin also logs in on the request network (its admin pages).
                    request_network_login=role == Role.ADMIN,
                )
                for name, role in USERS.items()
            )
            uow.session.add_all(RequestType(**fields) for fields in (ASK, PARTS))

    async def _drain(self) -> None:
        for runtime in (self.request, self.response):
            assert isinstance(runtime.jobs, InProcessRunner)
            await runtime.jobs.drain()

    async def _run(self, runtime: RequestRuntime | ResponseRuntime, job: str) -> None:
        """Run one of the network's jobs and every job it enqueues, to the end."""
        await runtime.jobs.enqueue(job)
        await self._drain()

    async def _move(self) -> None:
        """One round through the transfer directory with the networks' own transfer jobs:
        requests over (their import enqueues the answering run), answers back."""
        await self._drain()
        await self._run(self.request, "transfer_export")
        await self._run(self.response, "transfer_import")
        await self._run(self.response, "transfer_export")
        await self._run(self.request, "transfer_import")

    def move(self) -> None:
        self.call(self._move())
