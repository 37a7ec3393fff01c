"""Cached `GET /requests/{id}/response` against a bare FastAPI route returning the same JSON.

    .venv/bin/python -m bench.bench_response_cache [--reads 2000] [--seconds 5]

The servers run as uvicorn processes with the same settings (one process, no access log,
proxy headers on): the request network's real API (`python -m request_network run`, its
middleware, bearer-token authentication and the response cache) and a bare FastAPI app whose
one route returns the same JSON document (and, to show what a Redis round trip alone costs,
the same app reading the document from Redis). The request network is measured twice: embedded
(SQLite, in-process cache) and production-like (PostgreSQL and Redis). An answered request
is written into the database as the `responses` import would; the first read fills the cache
(and delivers the answer), every read after it is a hit. Prints p50/p95 of sequential reads
and requests/s with 16 concurrent clients, and the ratio to the bare route. All three servers
run at once and take turns in rounds, so they are measured under the same conditions.
Target: cached p50 <= 1.5x the bare route. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis

from bench.report import Measure, at_most, emit
from core.db import utcnow
from core.migrations import upgrade
from request_network.auth.service import build_token_issuer
from request_network.bootstrap import MIGRATIONS
from request_network.jobs import registry
from request_network.requests.models import Request, RequestStatus
from request_network.responses.models import Response
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.users.models import User
from tests.services import free_port, run_postgres, run_redis

ANSWER = {"hits": [{"id": f"doc-{n}", "score": 1.0 / (n + 1)} for n in range(20)], "total": 20}

BASELINE = "bare FastAPI route"

BARE_APP = """
import json, sys
from pathlib import Path
import uvicorn
from fastapi import FastAPI

document = json.loads(Path(sys.argv[1]).read_text())
app = FastAPI()

@app.get("/requests/{request_id}/response")
async def read(request_id: str) -> dict:
    return document

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_config=None,
            access_log=False, proxy_headers=True, lifespan="on")
"""

BARE_REDIS = "bare route reading it from Redis"

BARE_REDIS_APP = """
import sys
import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response
from redis.asyncio import Redis

redis = Redis.from_url(sys.argv[1])
app = FastAPI()

@app.get("/requests/{request_id}/response")
async def read(request_id: str) -> Response:
    return Response(await redis.get("bench:answer"), media_type="application/json")

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_config=None,
            access_log=False, proxy_headers=True, lifespan="on")
"""


async def prepare(settings: RequestSettings) -> tuple[str, str]:
    """An owner with an answered request in the database; returns its id and a token."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(upgrade, MIGRATIONS, settings.resolved_database_url)
    runtime = RequestRuntime.build(settings, registry, start_scheduler=False)
    now = utcnow()
    user_id, request_id = uuid.uuid4(), uuid.uuid4()
    try:
        async with runtime.unit_of_work() as uow:
            uow.session.add(
                User(
                    id=user_id,
                    username="bench",
                    email="bench@example.org",
                    display_name="",
                    role="user",
                    active=True,
                    password_hash=None,
                    profile="default",
                    limit_overrides=None,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
            await uow.session.flush()
            uow.session.add(
                Request(
                    id=request_id,
                    owner_id=user_id,
                    request_type="search",
                    type_version=1,
                    parameters={"q": "pump"},
                    priority=5,
                    status=RequestStatus.ANSWERED,
                    request_hash="0" * 64,
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )
            uow.session.add(
                Response(
                    id=request_id,
                    status="answered",
                    reason=None,
                    body=ANSWER,
                    content_type="application/json",
                    answer_number=1,
                    answered_by="handler:search",
                    answered_at=now,
                    updated_at=now,
                    version=1,
                )
            )
    finally:
        await runtime.close()
    token, _expires = build_token_issuer(settings).issue(str(user_id))
    return str(request_id), token


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited with {process.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError(command)


ROUNDS = 10
"""The servers take turns, this many times: a drift of the machine's speed during the run
(it is large on shared virtual machines) then weighs on every server alike."""


async def measure(
    targets: dict[str, tuple[str, dict[str, str]]], reads: int, seconds: float
) -> dict[str, dict[str, Any]]:
    """Sequential reads, then 16 concurrent clients, each server in turn for `ROUNDS` rounds."""
    clients = {
        name: httpx.AsyncClient(headers=headers, timeout=10)
        for name, (_url, headers) in targets.items()
    }
    timings: dict[str, list[float]] = {name: [] for name in targets}
    served = dict.fromkeys(targets, 0)
    busy = dict.fromkeys(targets, 0.0)
    try:
        for name, (url, _headers) in targets.items():
            for _ in range(100):  # warm-up: fill the cache, deliver the answer
                (await clients[name].get(url)).raise_for_status()
        for _round in range(ROUNDS):
            for name, (url, _headers) in targets.items():
                client = clients[name]
                for _ in range(reads // ROUNDS):
                    started = time.perf_counter()
                    answer = await client.get(url)
                    timings[name].append((time.perf_counter() - started) * 1000)
                    answer.raise_for_status()
                stop = time.perf_counter() + seconds / ROUNDS

                async def worker(
                    client: httpx.AsyncClient = client, url: str = url, stop: float = stop
                ) -> int:
                    count = 0
                    while time.perf_counter() < stop:
                        (await client.get(url)).raise_for_status()
                        count += 1
                    return count

                started = time.perf_counter()
                served[name] += sum(await asyncio.gather(*(worker() for _ in range(16))))
                busy[name] += time.perf_counter() - started
        results = {}
        for name, (url, _headers) in targets.items():
            last = await clients[name].get(url)
            quantiles = statistics.quantiles(timings[name], n=100, method="inclusive")
            results[name] = {
                "p50": quantiles[49],
                "p95": quantiles[94],
                "rps": served[name] / busy[name],
                "body": last.json(),
                "cache": last.headers.get("X-Cache"),
            }
        return results
    finally:
        for client in clients.values():
            await client.aclose()


async def start_network(
    settings: RequestSettings, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], tuple[str, dict[str, str]]]:
    request_id, token = await prepare(settings)
    port = free_port()
    env = env | {"AIRLOCK_REQUEST_PORT": str(port)}
    process = start([sys.executable, "-m", "request_network", "run"], env, port)
    url = f"http://127.0.0.1:{port}/requests/{request_id}/response"
    return process, (url, {"Authorization": f"Bearer {token}"})


async def main(reads: int, seconds: float) -> list[Measure]:
    processes: list[subprocess.Popen[bytes]] = []
    targets: dict[str, tuple[str, dict[str, str]]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="airlock-bench-") as directory,
        run_postgres() as postgres,
        run_redis() as redis,
    ):
        try:
            root = Path(directory)
            base = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
            base |= {
                "AIRLOCK_REQUEST_LOG_LEVEL": "WARNING",
                "AIRLOCK_REQUEST_JOBS_ENABLED": "false",
            }

            embedded = RequestSettings(var_dir=root / "embedded", jobs_enabled=False)
            embedded_env = base | {"AIRLOCK_REQUEST_VAR_DIR": str(embedded.var_dir)}
            process, targets["embedded"] = await start_network(embedded, embedded_env)
            processes.append(process)

            connection = await asyncpg.connect(postgres.dsn())
            await connection.execute('CREATE DATABASE "bench_request"')
            await connection.close()
            production = RequestSettings(
                var_dir=root / "production",
                database_url=postgres.url("bench_request"),
                redis_url=redis.url(),
                jobs_enabled=False,
            )
            production_env = base | {
                "AIRLOCK_REQUEST_VAR_DIR": str(production.var_dir),
                "AIRLOCK_REQUEST_DATABASE_URL": production.database_url,
                "AIRLOCK_REQUEST_REDIS_URL": str(production.redis_url),
            }
            process, targets["PostgreSQL + Redis"] = await start_network(production, production_env)
            processes.append(process)

            # The bare route serves the very document the network's route sends.
            async with httpx.AsyncClient() as client:
                url, headers = targets["embedded"]
                document = root / "answer.json"
                document.write_text((await client.get(url, headers=headers)).text)
            bare_port = free_port()
            script = root / "bare_app.py"
            script.write_text(BARE_APP)
            bare_command = [sys.executable, str(script), str(document), str(bare_port)]
            processes.append(start(bare_command, base, bare_port))
            bare_url = f"http://127.0.0.1:{bare_port}/requests/{uuid.uuid4()}/response"
            targets[BASELINE] = (bare_url, {})
            # What one Redis round trip adds, whoever makes it: the floor under the
            # production mode's hits.
            client = Redis.from_url(redis.url())
            await client.set("bench:answer", document.read_bytes())
            await client.aclose()
            redis_port = free_port()
            script = root / "bare_redis_app.py"
            script.write_text(BARE_REDIS_APP)
            redis_command = [sys.executable, str(script), redis.url(), str(redis_port)]
            processes.append(start(redis_command, base, redis_port))
            redis_url = f"http://127.0.0.1:{redis_port}/requests/{uuid.uuid4()}/response"
            targets[BARE_REDIS] = (redis_url, {})

            results = await measure(targets, reads, seconds)
        finally:
            for process in processes:
                process.terminate()
                process.wait(30)

    bare = results.pop(BASELINE)
    print(
        f"GET /requests/{{id}}/response: {reads} sequential reads, then 16 clients for "
        f"{seconds} s, per server, in {ROUNDS} alternating rounds"
    )
    label = f"{BASELINE} (baseline)"
    print(
        f"{label:<42} p50 {bare['p50']:6.2f} ms  p95 {bare['p95']:6.2f} ms"
        f"  {bare['rps']:7.0f} req/s"
    )
    for name, result in results.items():
        label = name if name == BARE_REDIS else f"cached, {name} (X-Cache {result['cache']})"
        print(
            f"{label:<42} p50 {result['p50']:6.2f} ms  p95 {result['p95']:6.2f} ms"
            f"  {result['rps']:7.0f} req/s  = {result['p50'] / bare['p50']:.2f}x latency, "
            f"{result['rps'] / bare['rps']:.2f}x throughput"
        )
    floor = results[BARE_REDIS]["p50"] - bare["p50"]
    production = results["PostgreSQL + Redis"]["p50"]
    print(
        f"one Redis round trip adds {floor:.2f} ms to a bare route; without it the production "
        f"mode's hit would be {(production - floor) / bare['p50']:.2f}x"
    )
    print("target: cached p50 <= 1.5x the bare route")
    return [
        at_most(
            f"cached answer read p50, {name}",
            results[name]["p50"],
            "ms",
            bare["p50"],
            BASELINE,
            1.5,
        )
        for name in ("embedded", "PostgreSQL + Redis")
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    arguments = parser.parse_args()
    emit(asyncio.run(main(arguments.reads, arguments.seconds)))
