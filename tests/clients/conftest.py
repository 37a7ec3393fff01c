"""Both networks in process, sharing a transfer directory: the request network's app
behind an `httpx.ASGITransport` (what the clients talk to) and `System.move()`, which runs
the networks' own transfer and answering jobs once round (requests over, answers back)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner, Result

from airlock_cli.context import Hooks
from airlock_cli.main import make_app
from core.audit import Actor
from core.security import hash_password
from request_network.app import create_app as create_request_app
from request_network.jobs import registry as request_registry
from request_network.requests.limits import reset_limits
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.api_keys.schemas import ApiKeyCreate
from response_network.api_keys.service import create_api_key
from response_network.bootstrap import seed_catalog
from response_network.catalog.models import RequestType
from response_network.jobs import registry as response_registry
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.users.models import Role, User
from tests.shared.exchange.conftest import exchange_keys
from tests.waiting import scaled

USERNAME = "uma"
PASSWORD = "a client test passphrase"
BASE_URL = "http://testserver"


@dataclass
class System:
    response: ResponseRuntime
    request: RequestRuntime
    app: FastAPI
    transport: httpx.ASGITransport
    """To the request network's app, in process."""
    client: httpx.AsyncClient
    """A client over `transport` (no credentials)."""
    user_id: uuid.UUID

    async def _run(self, runtime: RequestRuntime | ResponseRuntime, job: str) -> None:
        registry = request_registry if isinstance(runtime, RequestRuntime) else response_registry
        await registry.get(job).function(runtime)

    async def move(self) -> None:
        """Requests to the master, which answers what its handlers can; answers back."""
        await self._run(self.request, "transfer_export")
        await self._run(self.response, "transfer_import")
        await self._run(self.response, "answer_requests")
        await self._run(self.response, "transfer_export")
        await self._run(self.request, "transfer_import")

    async def issue_api_key(self) -> str:
        """A key of the user, made on the master and carried over by the users stream."""
        async with self.response.unit_of_work() as uow:
            owner = await uow.session.get(User, self.user_id)
            assert owner is not None
            issued = await create_api_key(
                session=uow.session,
                owner=owner,
                data=ApiKeyCreate(name="laptop"),
                actor=Actor(id=None, name="test"),
            )
        await self._run(self.response, "transfer_export")
        await self._run(self.request, "transfer_import")
        return issued.secret

    async def close_echo(self) -> None:
        """An admin deactivates `echo` on the master: what was submitted fails its recheck."""
        async with self.response.unit_of_work() as uow:
            echo = await uow.session.scalar(select(RequestType).where(RequestType.name == "echo"))
            assert echo is not None
            echo.active = False

    async def reset_limits(self) -> None:
        """What an admin's reset does: stands in for the windows running out."""
        async with self.request.unit_of_work() as uow:
            await reset_limits(
                session=uow.session,
                limiter=self.app.state.rate_limiter,
                user_id=self.user_id,
                actor=Actor(id=None, name="test"),
            )


@pytest.fixture
async def system(
    response_settings: ResponseSettings,
    request_settings: RequestSettings,
    response_runtime: ResponseRuntime,
    request_runtime: RequestRuntime,
) -> AsyncIterator[System]:
    """The seeded catalog (`echo`) and one user, already on the request network; the user
    may submit once a minute (a second submission is a 429)."""
    exchange_keys(response_settings, request_settings)
    await seed_catalog(response_runtime)
    async with response_runtime.unit_of_work() as uow:
        user = User(
            username=USERNAME,
            email=f"{USERNAME}@example.org",
            role=Role.USER,
            active=True,
            password_hash=hash_password(PASSWORD),
            limit_overrides={"minute": 1},
        )
        uow.session.add(user)
        await uow.session.flush()
        user_id = user.id
    app = create_request_app(request_settings, request_runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            system = System(response_runtime, request_runtime, app, transport, client, user_id)
            await system._run(response_runtime, "transfer_export")
            await system._run(request_runtime, "transfer_import")
            yield system


class InProcessTransport(httpx.BaseTransport):
    """A synchronous transport (the command line's) that sends each request to the app on
    the test's event loop; the command line runs in a worker thread meanwhile."""

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()

        async def send() -> tuple[int, list[tuple[str, str]], bytes]:
            answer = await self.client.request(
                request.method, str(request.url), headers=request.headers, content=content
            )
            return answer.status_code, answer.headers.multi_items(), answer.content

        future = asyncio.run_coroutine_threadsafe(send(), self.loop)
        status, headers, body = future.result(timeout=scaled(30))
        # The body is already decoded: its encoding header would have httpx decode it again.
        kept = [(name, value) for name, value in headers if name.lower() != "content-encoding"]
        return httpx.Response(status, headers=kept, content=body, request=request)


def on_loop(loop: asyncio.AbstractEventLoop, work: Any) -> Any:
    """Run a coroutine on the test's loop from the command line's thread, and wait for it."""
    return asyncio.run_coroutine_threadsafe(work, loop).result(timeout=scaled(30))


@dataclass
class Terminal:
    """Runs the command line in a worker thread while the test's loop serves the app."""

    system: System
    config: Path
    loop: asyncio.AbstractEventLoop
    slept: list[float] = field(default_factory=list)
    now: float = 0.0
    """The command line's clock: it moves only when the command line pauses."""
    meanwhile: Callable[[], Awaitable[None]] | None = None
    """What happens on the other side while the command line pauses."""

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.meanwhile is not None:
            on_loop(self.loop, self.meanwhile())

    async def __call__(
        self,
        *args: str,
        stdin: str | None = None,
        network: bool = False,
        via: httpx.BaseTransport | None = None,
    ) -> Result:
        """`network`: over real sockets (the default transport) instead of to the app;
        `via`: through another transport (something between the user and the network)."""
        transport = via or (None if network else InProcessTransport(self.system.client, self.loop))
        app = make_app(Hooks(transport=transport, sleep=self.sleep, clock=self.clock))
        env = {
            "XDG_CONFIG_HOME": str(self.config),
            "AIRLOCK_URL": BASE_URL,
            "AIRLOCK_PASSWORD": None,
            "AIRLOCK_API_KEY": None,
        }
        return await asyncio.to_thread(
            CliRunner().invoke, app, list(args), input=stdin, env=env, prog_name="airlock-client"
        )

    async def log_in(self) -> None:
        done = await self("login", "-u", USERNAME, "--password", PASSWORD)
        assert done.exit_code == 0, done.output


@pytest.fixture
async def cli(system: System, tmp_path: Path) -> AsyncIterator[Terminal]:
    # CliRunner swaps sys.stdout for the whole process while a command runs: the app's log
    # lines (structlog prints to the sys.stdout of the moment) would land in the command's
    # output. They go to the stream pytest captures instead.
    before = structlog.get_config()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    try:
        yield Terminal(system, tmp_path / "config", asyncio.get_running_loop())
    finally:
        structlog.configure(**before)
