"""Round trip: submit -> exported -> answered by `echo` -> readable, embedded or production.

    .venv/bin/python -m bench.bench_round_trip [--requests 200] [--mode embedded|production]

Starts both networks as an operator does (`embedded`: `make run`, SQLite and in-process jobs;
`production`: a throwaway PostgreSQL and Redis, a Celery worker and beat per network), creates
a user on the response network and waits for it to sync, then submits `echo` requests one at
a time and polls `GET /requests/{id}/response` every 5 ms until the answer is readable.
Prints p50/p95/max of the round trip, next to the p50 of the submission alone (the baseline
measured in the same run: what the user waits for before the gap is crossed at all).
Targets: p50 < 0.2 s embedded, < 0.5 s in production. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

import asyncpg
import httpx

from bench.report import Measure, below, emit, info
from tests.deployment import (
    ADMIN_PASSWORD,
    PASSWORD,
    Deployment,
    bearer,
    deploy,
    replica_has,
    token,
    until,
)
from tests.services import run_postgres, run_redis

TARGET_SECONDS = {"embedded": 0.2, "production": 0.5}


def quantile(values: list[float], fraction: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


async def started(stack: AsyncExitStack, mode: str, root: Path) -> Deployment:
    if mode == "embedded":
        return await stack.enter_async_context(deploy("embedded", root))
    postgres = stack.enter_context(run_postgres())
    redis = stack.enter_context(run_redis())
    connection = await asyncpg.connect(postgres.dsn())
    for name in ("bench_response", "bench_request"):
        await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    urls = (postgres.url("bench_response"), postgres.url("bench_request"))
    return await stack.enter_async_context(
        deploy("production", root, postgres_urls=urls, redis_urls=(redis.url(0), redis.url(1)))
    )


UNLIMITED = dict.fromkeys(("minute", "hour", "day", "month"), 1_000_000)
"""The user's overrides: 200 requests in well under a minute pass every profile's limits."""


async def create_user(client: httpx.AsyncClient, deployment: Deployment) -> str:
    """A user without practical limits, created on the master and synced to the replica."""
    admin = bearer(await token(client, deployment.response_url, "admin", ADMIN_PASSWORD))
    created = await client.post(
        f"{deployment.response_url}/admin/users",
        headers=admin,
        json={
            "username": "bench",
            "email": "bench@example.org",
            "password": PASSWORD,
            "profile": "premium",
            "limit_overrides": UNLIMITED,
        },
    )
    created.raise_for_status()

    async def synced() -> bool:
        return await replica_has(deployment, "bench")

    await until(deployment, "the user's sync", synced)
    return "bench"


async def main(count: int, mode: str) -> list[Measure]:
    with tempfile.TemporaryDirectory(prefix="airlock-bench-") as directory:
        async with AsyncExitStack() as stack:
            deployment = await started(stack, mode, Path(directory))
            client = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
            name = await create_user(client, deployment)
            user = bearer(await token(client, deployment.request_url, name, PASSWORD))
            submits: list[float] = []
            trips: list[float] = []
            for number in range(count):
                begun = time.perf_counter()
                submitted = await client.post(
                    f"{deployment.request_url}/requests",
                    headers=user,
                    json={"request_type": "echo", "parameters": {"message": f"ping {number}"}},
                )
                submits.append(time.perf_counter() - begun)
                submitted.raise_for_status()
                url = f"{deployment.request_url}/requests/{submitted.json()['id']}/response"
                while (await client.get(url, headers=user)).status_code != 200:
                    deployment.check_alive()
                    if time.perf_counter() - begun > 60:
                        raise TimeoutError("no answer within 60 s")
                    await asyncio.sleep(0.005)
                trips.append(time.perf_counter() - begun)
    submit_p50 = statistics.median(submits)
    p50, p95, worst = statistics.median(trips), quantile(trips, 0.95), max(trips)
    target = TARGET_SECONDS[mode]
    print(f"{mode} round trip, {count} echo requests one after another")
    print(f"submission alone (baseline)  p50 {submit_p50 * 1000:8.1f} ms")
    print(
        f"submit -> readable answer    p50 {p50 * 1000:8.1f} ms   "
        f"p95 {p95 * 1000:8.1f} ms   max {worst * 1000:8.1f} ms"
    )
    print(
        f"round trip p50 = {p50 / submit_p50:.0f}x the submission; target p50 < {target} s: "
        f"{'met' if p50 < target else 'NOT met'}"
    )
    baseline = {"baseline": submit_p50, "baseline_name": "submission p50"}
    return [
        below(f"round trip p50, {mode}", p50, "s", target, **baseline),
        info(f"round trip p95, {mode}", p95, "s", **baseline),
        info(f"round trip max, {mode}", worst, "s", **baseline),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--mode", choices=sorted(TARGET_SECONDS), default="embedded")
    options = parser.parse_args()
    emit(asyncio.run(main(options.requests, options.mode)))
