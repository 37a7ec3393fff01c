"""Where a submission's time goes: `cProfile` over submissions through the real app.

    .venv/bin/python -m bench.profile_submit [--submissions 300] [--top 30]

The request network's app in this process, on a throwaway PostgreSQL and Redis set up as
`bench_submit` sets them up, called as ASGI (no HTTP server or client in the profile), one
submission at a time after a warm-up. Prints the Python function calls (each resumption of
a coroutine counts as one, as `cProfile` counts them) and the socket writes per submission,
then the functions with the most time of their own. Counts move little from run to run,
unlike times: compare the counts. The event loop's thread only: work handed to a thread is
not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import FastAPI
from starlette.types import Message, Scope

from bench.bench_submit import BODY, prepare
from core.logging import configure_logging
from request_network.app import create_app
from request_network.settings import RequestSettings
from tests.services import run_postgres, run_redis

CLIENTS = 10
SOCKET_WRITES = (
    "<method 'send' of '_socket.socket' objects>",
    "<method 'sendall' of '_socket.socket' objects>",
)


async def submit(app: FastAPI, token: str) -> int:
    """One `POST /requests` straight into the app; its status."""
    body = json.dumps(BODY).encode()
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/requests",
        "raw_path": b"/requests",
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {token}".encode()),
        ],
    }
    messages: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> Message:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # no disconnect: the app never waits for one here
        raise AssertionError

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def profile(submissions: int) -> pstats.Stats:
    with (
        tempfile.TemporaryDirectory(prefix="airlock-profile-") as directory,
        run_postgres() as postgres,
        run_redis() as redis,
    ):
        connection = await asyncpg.connect(postgres.dsn())
        await connection.execute('CREATE DATABASE "profile"')
        await connection.close()
        settings = RequestSettings(
            var_dir=Path(directory) / "request",
            database_url=postgres.url("profile"),
            redis_url=redis.url(),
        )
        tokens = await prepare(settings, CLIENTS)
        # As bench_submit's server runs: access log lines are not written.
        configure_logging(level="WARNING", network="request")
        app = create_app(settings)
        profiler = cProfile.Profile()
        async with app.router.lifespan_context(app):
            for number in range(50):  # warm-up: connections, caches, compiled statements
                await submit(app, tokens[number % CLIENTS])
            profiler.enable()
            statuses = [await submit(app, tokens[n % CLIENTS]) for n in range(submissions)]
            profiler.disable()
        if set(statuses) != {201}:
            raise RuntimeError(f"answers other than 201: {sorted(set(statuses))}")
    return pstats.Stats(profiler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    options = parser.parse_args()
    stats = asyncio.run(profile(options.submissions))
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    calls = sum(entry[1] for entry in entries.values())
    writes = sum(entry[1] for key, entry in entries.items() if key[2] in SOCKET_WRITES)
    count = options.submissions
    print(
        f"{count} submissions: {calls / count:,.0f} function calls and "
        f"{writes / count:.1f} socket writes a submission"
    )
    stats.sort_stats("tottime").print_stats(options.top)


if __name__ == "__main__":
    main()
