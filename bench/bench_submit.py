"""Submission throughput on PostgreSQL + Redis with 50 concurrent clients.

    .venv/bin/python -m bench.bench_submit [--clients 50] [--seconds 20]

Both servers run as uvicorn processes with the same settings, against one throwaway
PostgreSQL and Redis: the request network's real `POST /requests` (bearer token, catalog and
grant checks, the multi-window rate limit on Redis, the parameters' schema, the insert of the
request and its event, the coalesced export trigger on the Celery broker) and, as the
baseline, a bare FastAPI route that parses the same body and inserts one row. 50 clients
(each its own user) submit as fast as they are answered; the servers take turns in rounds.
Prints requests/s and p50 latency of each. Target: >= 0.5x the bare route's requests/s. The
clients share the machine with the servers: on 2 cores both figures are bounded by it, the
ratio less so. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.bench_response_cache import start
from bench.report import Measure, at_least, info
from core.migrations import upgrade
from request_network.auth.service import build_token_issuer
from request_network.bootstrap import MIGRATIONS
from request_network.jobs import registry
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from tests.request_network.catalog.test_submissions import replica_profile, replica_type
from tests.request_network.replica import insert_user
from tests.services import free_port, run_postgres, run_redis

TARGET = 0.5
ROUNDS = 4
BODY = {"request_type": "weather", "parameters": {"city": "Oslo"}}
HUGE = {"soft": 10_000_000, "hard": 20_000_000}
LIMITS = dict.fromkeys(("minute", "hour", "day", "month"), HUGE)
"""Every window a profile can have, none ever reached: the check costs what it costs."""

BARE_APP = """
import sys, uuid
from datetime import datetime, timezone
from typing import Any
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

# The pool the networks use (core/db.py), so both wait on the database alike.
engine = create_async_engine(sys.argv[1], pool_size=10, max_overflow=10)
app = FastAPI()

class Submission(BaseModel):
    request_type: str
    parameters: dict[str, Any]

@app.post("/requests", status_code=201)
async def submit(body: Submission) -> dict[str, str]:
    row = uuid.uuid4()
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO submission VALUES (:id, :type, CAST(:parameters AS jsonb), :at)"),
            {"id": row, "type": body.request_type, "parameters": body.model_dump_json(),
             "at": datetime.now(timezone.utc)},
        )
    return {"id": str(row)}

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_config=None,
            access_log=False, proxy_headers=True, lifespan="on")
"""


async def prepare(settings: RequestSettings, clients: int) -> list[str]:
    """The catalog and one user per client in the replica; returns their tokens."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(upgrade, MIGRATIONS, settings.resolved_database_url)
    runtime = RequestRuntime.build(settings, registry, start_scheduler=False)
    try:
        async with runtime.unit_of_work() as uow:
            uow.session.add_all(
                [replica_type("weather"), replica_profile(allow_all=True, limits=LIMITS)]
            )
        users = [
            await insert_user(runtime, f"client{n}", password_hash=None) for n in range(clients)
        ]
    finally:
        await runtime.close()
    issuer = build_token_issuer(settings)
    return [issuer.issue(str(user.id))[0] for user in users]


async def load(url: str, tokens: list[str], seconds: float) -> tuple[int, list[float]]:
    """Every client submits until `seconds` pass; answers served and latencies (ms).

    aiohttp, one session: the load generator shares the cores with the servers, and it costs
    a fraction of what httpx does per request."""
    stop = time.perf_counter() + seconds
    timings: list[float] = []
    connector = aiohttp.TCPConnector(limit=len(tokens))
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(token: str) -> int:
            served = 0
            headers = {"Authorization": f"Bearer {token}"}
            while time.perf_counter() < stop:
                begun = time.perf_counter()
                async with session.post(url, json=BODY, headers=headers) as answer:
                    body = await answer.read()
                timings.append((time.perf_counter() - begun) * 1000)
                if answer.status != 201:
                    raise RuntimeError(f"{answer.status}: {body[:200]!r}")
                served += 1
            return served

        return sum(await asyncio.gather(*(client(token) for token in tokens))), timings


async def main(clients: int, seconds: float) -> list[Measure]:
    processes = []
    with (
        tempfile.TemporaryDirectory(prefix="airlock-bench-") as directory,
        run_postgres() as postgres,
        run_redis() as redis,
    ):
        try:
            root = Path(directory)
            connection = await asyncpg.connect(postgres.dsn())
            for name in ("bench_request", "bench_bare"):
                await connection.execute(f'CREATE DATABASE "{name}"')
            await connection.close()
            bare_db = await asyncpg.connect(postgres.dsn("bench_bare"))
            await bare_db.execute(
                "CREATE TABLE submission (id uuid PRIMARY KEY, request_type text, "
                "parameters jsonb, created_at timestamptz)"
            )
            await bare_db.close()

            settings = RequestSettings(
                var_dir=root / "request",
                database_url=postgres.url("bench_request"),
                redis_url=redis.url(),
            )
            tokens = await prepare(settings, clients)
            base = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
            port = free_port()
            env = base | {
                "AIRLOCK_REQUEST_LOG_LEVEL": "WARNING",
                "AIRLOCK_REQUEST_VAR_DIR": str(settings.var_dir),
                "AIRLOCK_REQUEST_DATABASE_URL": str(settings.database_url),
                "AIRLOCK_REQUEST_REDIS_URL": str(settings.redis_url),
                "AIRLOCK_REQUEST_PORT": str(port),
            }
            processes.append(start([sys.executable, "-m", "request_network", "run"], env, port))
            bare_port = free_port()
            script = root / "bare_app.py"
            script.write_text(BARE_APP)
            command = [sys.executable, str(script), postgres.url("bench_bare"), str(bare_port)]
            processes.append(start(command, base, bare_port))
            targets = {
                "airlock": (f"http://127.0.0.1:{port}/requests", tokens),
                "bare": (f"http://127.0.0.1:{bare_port}/requests", ["none"] * clients),
            }
            served: dict[str, int] = dict.fromkeys(targets, 0)
            timings: dict[str, list[float]] = {name: [] for name in targets}
            for url, keys in targets.values():
                await load(url, keys, 1.0)  # warm-up: connections, caches, plans
            for _round in range(ROUNDS):
                for name, (url, keys) in targets.items():
                    count, latencies = await load(url, keys, seconds / ROUNDS)
                    served[name] += count
                    timings[name] += latencies
        finally:
            for process in processes:
                process.terminate()
                process.wait(30)
    rate = {name: served[name] / seconds for name in targets}
    p50 = {name: statistics.median(timings[name]) for name in targets}
    print(f"POST /requests, {clients} clients, {seconds:g} s per server in {ROUNDS} rounds")
    print(
        f"bare route inserting one row (baseline) {rate['bare']:7.0f} req/s  "
        f"p50 {p50['bare']:6.1f} ms"
    )
    print(
        f"airlock submission                      {rate['airlock']:7.0f} req/s  "
        f"p50 {p50['airlock']:6.1f} ms  = {rate['airlock'] / rate['bare']:.2f}x the throughput"
    )
    print(f"target: >= {TARGET}x the bare route's requests/s")
    bare: dict[str, Any] = {"baseline": p50["bare"], "baseline_name": "bare insert p50"}
    return [
        at_least(
            f"submissions/s, {clients} clients, PG + Redis",
            rate["airlock"],
            "req/s",
            rate["bare"],
            "bare insert route",
            TARGET,
        ),
        info(f"submission p50, {clients} clients", p50["airlock"], "ms", **bare),
    ]


if __name__ == "__main__":
    from bench.report import emit

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    options = parser.parse_args()
    emit(asyncio.run(main(options.clients, options.seconds)))
