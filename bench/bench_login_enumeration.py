"""Can a stranger tell an unknown username from a wrong password by the time a login takes?

    .venv/bin/python -m bench.bench_login_enumeration [--tries 200]

Runs the response network in process (httpx ASGITransport) on a fresh SQLite database,
creates one account, and sends `--tries` refused logins of each kind, interleaved (wrong
password for the account, then an unknown username, and so on) so that load on the machine
falls on both alike. Prints each kind's median and the difference of the medians with a
bootstrap 95 % interval. The throttle is set wide so that no try waits. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import structlog

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from response_network.app import create_app  # noqa: E402
from response_network.bootstrap import migrate, seed_admin  # noqa: E402
from response_network.jobs import registry  # noqa: E402
from response_network.runtime import ResponseRuntime  # noqa: E402
from response_network.settings import ResponseSettings  # noqa: E402

PASSWORD = "a benchmark password of decent length"


def median_gap_interval(known: list[float], unknown: list[float]) -> tuple[float, float]:
    """A bootstrap 95 % interval of median(unknown) - median(known)."""
    rng = random.Random(0)
    gaps = sorted(
        statistics.median(rng.choices(unknown, k=len(unknown)))
        - statistics.median(rng.choices(known, k=len(known)))
        for _ in range(2000)
    )
    return gaps[50], gaps[1949]


async def main(tries: int) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory(prefix="airlock-bench-") as directory:
        settings = ResponseSettings(
            var_dir=Path(directory),
            admin_password=PASSWORD,
            jobs_enabled=False,
            login_max_failures=1000,
            login_address_max_failures=1_000_000,
        )
        migrate(settings)
        runtime = ResponseRuntime.build(settings, registry, start_scheduler=False)
        await seed_admin(runtime, settings)
        app = create_app(settings, runtime)
        timings: dict[str, list[float]] = {"known": [], "unknown": []}
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for number in range(tries + 3):  # the first three warm up
                    for kind, username in (
                        ("known", settings.admin_username),
                        ("unknown", "nobody"),
                    ):
                        form = {"username": username, "password": "wrong password, surely"}
                        started = time.perf_counter()
                        answer = await client.post("/auth/token", data=form)
                        elapsed = (time.perf_counter() - started) * 1000
                        assert answer.status_code == 401, answer.text
                        if number >= 3:
                            timings[kind].append(elapsed)
    known, unknown = timings["known"], timings["unknown"]
    low, high = median_gap_interval(known, unknown)
    print(f"wrong password  n={tries}  median={statistics.median(known):.2f} ms")
    print(f"unknown user    n={tries}  median={statistics.median(unknown):.2f} ms")
    print(
        f"unknown - known: {statistics.median(unknown) - statistics.median(known):+.2f} ms "
        f"(95 % bootstrap interval {low:+.2f} .. {high:+.2f} ms)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=200)
    asyncio.run(main(parser.parse_args().tries))
