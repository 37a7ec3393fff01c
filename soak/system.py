"""The production system a scenario runs against, and the users it submits as.

Both networks start the way the e2e tests start them (`tests.deployment.deploy`: API via
uvicorn, a Celery worker and beat per network), on a throwaway PostgreSQL cluster and
redis-server of the scenario's own; `apis` and `workers` add processes per network on the
same databases and Redis (a scaled-out deployment).
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from tests import deployment as deployed
from tests.deployment import ADMIN_PASSWORD, PASSWORD, Deployment, bearer, create_users, token
from tests.services import PostgresServer, free_port, run_postgres, run_redis
from tests.waiting import start_module

NETWORKS = ("response_network", "request_network")


@dataclass
class System:
    deployment: Deployment
    response_db: str
    request_db: str
    request_urls: list[str]
    restarts: int = 0

    def workers(self, network: str) -> list[str]:
        return sorted(
            name for name in self.deployment.processes if name.startswith(f"{network}-worker")
        )

    def kill(self, name: str) -> None:
        """SIGKILL the process and its pool children at once, as an OOM kill or a lost
        container does; reaped before this returns."""
        started = self.deployment.processes[name]
        for pid in [started.pid, *_descendants(started.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        started.process.wait()

    def restart_worker(self, name: str) -> None:
        """A new worker in the killed one's place (its log gets a number of its own)."""
        self.restarts += 1
        network = name.split("-", 1)[0]
        self.deployment.processes[name] = start_module(
            f"{name}.{self.restarts}",
            network,
            "worker",
            "--concurrency",
            "1",
            log_dir=self.deployment.root,
            env=self.deployment.env,
            cwd=self.deployment.root,
        )


def _descendants(pid: int) -> list[int]:
    # /proc/<pid>/task/*/children is not compiled into every kernel: read each parent link.
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


async def _empty_databases(postgres: PostgresServer) -> tuple[str, str]:
    connection = await asyncpg.connect(postgres.dsn())
    try:
        for name in ("response", "request"):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return postgres.url("response"), postgres.url("request")


@asynccontextmanager
async def production_system(
    root: Path, *, apis: int = 1, workers: int = 1
) -> AsyncIterator[System]:
    """Both networks in production mode, with `apis` API processes and `workers` Celery
    workers (one pool process each) per network; one beat per network."""
    with run_postgres() as postgres, run_redis() as redis:
        databases = await _empty_databases(postgres)
        async with deployed.deploy(
            "production", root, postgres_urls=databases, redis_urls=(redis.url(0), redis.url(1))
        ) as deployment:
            request_urls = [deployment.request_url]
            for number in range(2, workers + 1):
                for network in NETWORKS:
                    deployment.start(
                        f"{network}-worker-{number}", network, "worker", "--concurrency", "1"
                    )
            for number in range(2, apis + 1):
                for network in NETWORKS:
                    port = free_port()
                    deployment.start(f"{network}-api-{number}", network, "run", "--port", str(port))
                    url = f"http://127.0.0.1:{port}"
                    await deployed.wait_ready(deployment, url)
                    if network == "request_network":
                        request_urls.append(url)
            yield System(deployment, databases[0], databases[1], request_urls)


async def define_profile(client: httpx.AsyncClient, system: System, name: str, day: int) -> None:
    """A profile opening `echo`, at most `day` submissions a day (soft = hard: no warnings)."""
    admin = bearer(await token(client, system.deployment.response_url, "admin", ADMIN_PASSWORD))
    created = await client.post(
        f"{system.deployment.response_url}/admin/profiles",
        headers=admin,
        json={
            "name": name,
            "limits": {"day": {"soft": day, "hard": day}},
            "allowed_types": ["echo"],
            "max_priority": 5,
        },
    )
    assert created.status_code == 201, created.text


async def log_in_users(
    client: httpx.AsyncClient, system: System, count: int, *, profile: str, day: int
) -> list[str]:
    """`count` users of `profile`, synced to the request network; their bearer tokens there,
    once the profile's limit shows there too (users and catalog travel on separate streams)."""
    names = await create_users(client, system.deployment, *["user"] * count, profile=profile)
    tokens = [await token(client, system.deployment.request_url, name, PASSWORD) for name in names]

    async def profile_synced() -> bool:
        limits = await client.get(
            f"{system.deployment.request_url}/users/me/limits", headers=bearer(tokens[0])
        )
        return limits.status_code == 200 and any(w["hard"] == day for w in limits.json()["windows"])

    await deployed.until(system.deployment, f"the profile {profile}'s sync", profile_synced)
    return tokens


async def admin_tokens(client: httpx.AsyncClient, system: System) -> tuple[str, str]:
    """An admin's tokens on the response and the request network: an admin of its own,
    since only one created with `request_network_login` may log in on the request network."""
    url = system.deployment.response_url
    admin = await token(client, url, "admin", ADMIN_PASSWORD)
    created = await client.post(
        f"{url}/admin/users",
        headers=bearer(admin),
        json={
            "username": "soak_admin",
            "email": "soak_admin@example.org",
            "password": PASSWORD,
            "role": "admin",
            "request_network_login": True,
        },
    )
    assert created.status_code == 201, created.text

    async def synced() -> bool:
        return await deployed.replica_has(system.deployment, "soak_admin")

    await deployed.until(system.deployment, "the soak admin's sync", synced)
    return admin, await token(client, system.deployment.request_url, "soak_admin", PASSWORD)


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of `values` (at least two)."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(values)}


def describe_ms(values: list[float]) -> str:
    found = percentiles(values)
    return "  ".join(f"{key} {found[key] * 1000:8.1f} ms" for key in ("p50", "p95", "p99", "max"))


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
