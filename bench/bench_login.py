"""Login latency on the response network: `POST /auth/token`, where argon2id dominates.

    .venv/bin/python bench/bench_login.py [--logins 50]

Runs the app in-process (httpx ASGITransport) on a fresh SQLite database under a temporary
directory and prints p50/p95 of a password login next to the p50 of `GET /health` measured
in the same run, so the figure reads as "hash cost + app overhead". Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import structlog

from bench.report import Measure, emit, info

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from response_network.app import create_app  # noqa: E402
from response_network.bootstrap import migrate, seed_admin  # noqa: E402
from response_network.jobs import registry  # noqa: E402
from response_network.runtime import ResponseRuntime  # noqa: E402
from response_network.settings import ResponseSettings  # noqa: E402

PASSWORD = "a benchmark password of decent length"


async def timed(
    client: httpx.AsyncClient, count: int, method: str, url: str, form: dict[str, str] | None = None
) -> list[float]:
    """Milliseconds per call; every call must succeed."""
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        answer = await client.request(method, url, data=form)
        timings.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return timings


def percentile(values: list[float], fraction: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


async def main(logins: int) -> list[Measure]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory(prefix="airlock-bench-") as directory:
        settings = ResponseSettings(
            var_dir=Path(directory), admin_password=PASSWORD, jobs_enabled=False
        )
        migrate(settings)
        runtime = ResponseRuntime.build(settings, registry, start_scheduler=False)
        await seed_admin(runtime, settings)
        app = create_app(settings, runtime)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                form = {"username": settings.admin_username, "password": PASSWORD}
                await timed(client, 3, "POST", "/auth/token", form)  # warm up
                health = await timed(client, logins, "GET", "/health")
                login = await timed(client, logins, "POST", "/auth/token", form)
    print(
        f"POST /auth/token  n={logins}  p50={percentile(login, 0.5):.1f} ms  "
        f"p95={percentile(login, 0.95):.1f} ms"
    )
    print(f"GET /health       n={logins}  p50={percentile(health, 0.5):.1f} ms  (baseline)")
    baseline = {"baseline": percentile(health, 0.5), "baseline_name": "GET /health p50"}
    return [info("password login p50 (argon2id)", percentile(login, 0.5), "ms", **baseline)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=50)
    emit(asyncio.run(main(parser.parse_args().logins)))
