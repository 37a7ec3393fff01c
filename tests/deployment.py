"""Both networks as real processes, the way an operator runs them: the e2e tests and the
round-trip benchmark start them from here.

`embedded` is `make run` (SQLite, in-process jobs); `production` adds PostgreSQL, Redis and a
Celery worker and beat per network.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests import waiting
from tests.conftest import METRICS_TOKEN
from tests.services import free_port
from tests.waiting import Started, start_module

T = TypeVar("T")

ADMIN_PASSWORD = "the first admin's password"
PASSWORD = "a password long enough"
DEADLINE = 90.0
"""Seconds any one cross-network step may take (the schedules are 1-2 s; CI is slow), times
AIRLOCK_TEST_TIMEOUT_SCALE."""


@dataclass
class Deployment:
    mode: str
    root: Path
    env: dict[str, str]
    response_url: str
    request_url: str
    request_db: str
    processes: dict[str, Started] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> None:
        self.processes[name] = start_module(
            name, *args, log_dir=self.root, env=self.env, cwd=self.root
        )

    def run(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", *args], cwd=self.root, env=self.env, check=True)

    def check_alive(self) -> None:
        for started in self.processes.values():
            started.check_alive()

    def stop(self) -> None:
        for started in self.processes.values():
            if started.process.poll() is None:
                started.process.terminate()
        for started in self.processes.values():
            started.stop()


async def wait_ready(deployment: Deployment, url: str) -> None:
    async with httpx.AsyncClient(timeout=2) as client:

        async def ready() -> bool:
            try:
                return (await client.get(f"{url}/health/ready")).status_code == 200
            except httpx.HTTPError:
                return False

        await waiting.until(
            ready,
            what=f"{url}/health/ready",
            timeout=DEADLINE,
            watch=deployment.processes.values(),
            poll=0.2,
        )


@asynccontextmanager
async def deploy(
    mode: str,
    root: Path,
    *,
    postgres_urls: tuple[str, str] | None = None,
    redis_urls: tuple[str, str] | None = None,
) -> AsyncIterator[Deployment]:
    """Migrate, seed (with the demo index) and start both networks; stop them at the end.

    `production` needs two empty PostgreSQL databases and two Redis URLs (flushed here).
    """
    response_port, request_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
    env.update(
        AIRLOCK_ADMIN_PASSWORD=ADMIN_PASSWORD,
        AIRLOCK_RESPONSE_PORT=str(response_port),
        AIRLOCK_REQUEST_PORT=str(request_port),
        # One var dir: each network finds the other's public key where it keeps its own.
        AIRLOCK_RESPONSE_VAR_DIR=str(root / "var"),
        AIRLOCK_REQUEST_VAR_DIR=str(root / "var"),
        AIRLOCK_RESPONSE_LOG_LEVEL="WARNING",
        AIRLOCK_REQUEST_LOG_LEVEL="WARNING",
        AIRLOCK_REQUEST_METRICS_TOKEN=METRICS_TOKEN,
    )
    request_db = f"sqlite+aiosqlite:///{root / 'var' / 'request.db'}"
    if mode == "production":
        if postgres_urls is None or redis_urls is None:
            raise ValueError("production needs two PostgreSQL and two Redis URLs")
        request_db = postgres_urls[1]
        for url in redis_urls:
            client = Redis.from_url(url)
            await client.flushdb()
            await client.aclose()
        env.update(
            AIRLOCK_RESPONSE_DATABASE_URL=postgres_urls[0],
            AIRLOCK_REQUEST_DATABASE_URL=postgres_urls[1],
            AIRLOCK_RESPONSE_REDIS_URL=redis_urls[0],
            AIRLOCK_REQUEST_REDIS_URL=redis_urls[1],
        )
    deployment = Deployment(
        mode,
        root,
        env,
        f"http://127.0.0.1:{response_port}",
        f"http://127.0.0.1:{request_port}",
        request_db,
    )
    try:
        await asyncio.to_thread(deployment.run, "response_network", "migrate")
        await asyncio.to_thread(deployment.run, "response_network", "seed", "--demo")
        for network in ("response_network", "request_network"):
            deployment.start(f"{network}-api", network, "run")
            if mode == "production":
                deployment.start(f"{network}-worker", network, "worker", "--concurrency", "1")
                deployment.start(f"{network}-beat", network, "beat")
        await wait_ready(deployment, deployment.response_url)
        await wait_ready(deployment, deployment.request_url)
        yield deployment
    finally:
        deployment.stop()


async def token(client: httpx.AsyncClient, url: str, username: str, password: str) -> str:
    form = {"username": username, "password": password}
    answer = await client.post(f"{url}/auth/token", data=form)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def until(deployment: Deployment, what: str, probe: Callable[[], Awaitable[T | None]]) -> T:
    """Poll `probe()` until it returns something truthy; fail naming `what` after DEADLINE."""
    return await waiting.until(
        probe, what=what, timeout=DEADLINE, watch=deployment.processes.values()
    )


async def replica_has(deployment: Deployment, username: str) -> bool:
    """Read the replica directly: polling a login would trip the login throttle."""
    engine = create_async_engine(deployment.request_db)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(
                text('SELECT count(*) FROM "user" WHERE username = :name'), {"name": username}
            )
    except Exception:  # the request network may not have migrated its tables yet
        return False
    finally:
        await engine.dispose()
    return bool(found)


async def create_users(
    client: httpx.AsyncClient, deployment: Deployment, *roles: str, profile: str = "standard"
) -> list[str]:
    """Users with these roles, created by the admin on the response network and synced across."""
    admin = bearer(await token(client, deployment.response_url, "admin", ADMIN_PASSWORD))
    names = []
    for role in roles:
        username = f"{role}{uuid.uuid4().hex[:8]}"
        created = await client.post(
            f"{deployment.response_url}/admin/users",
            headers=admin,
            json={
                "username": username,
                "email": f"{username}@example.org",
                "password": PASSWORD,
                "role": role,
                "profile": profile,
            },
        )
        assert created.status_code == 201, created.text
        names.append(username)

    async def synced() -> bool:
        return await replica_has(deployment, names[-1])

    await until(deployment, "the users' sync", synced)
    return names
