"""Round trip in the embedded mode: submit -> exported -> answered by `echo` -> readable.

    .venv/bin/python -m bench.bench_round_trip [--requests 20]

Starts both networks as `make run` does (SQLite, in-process jobs, one transfer directory),
creates a user on the response network and waits for it to sync, then submits `echo` requests
one at a time and polls `GET /requests/{id}/response` every 10 ms until the answer is readable.
Prints p50/p95/max of the round trip, next to the p50 of the submission alone (the baseline
measured in the same run: what the user waits for before the gap is crossed at all).
Target: round trip under 2 s. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from tests.deployment import PASSWORD, bearer, create_users, deploy, token


def quantile(values: list[float], fraction: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="airlock-bench-") as directory:
        async with (
            deploy("embedded", Path(directory)) as deployment,
            httpx.AsyncClient(timeout=30) as client,
        ):
            (alice,) = await create_users(client, deployment, "user", profile="premium")
            user = bearer(await token(client, deployment.request_url, alice, PASSWORD))
            submits: list[float] = []
            trips: list[float] = []
            for number in range(count):
                started = time.perf_counter()
                submitted = await client.post(
                    f"{deployment.request_url}/requests",
                    headers=user,
                    json={"request_type": "echo", "parameters": {"message": f"ping {number}"}},
                )
                submits.append(time.perf_counter() - started)
                submitted.raise_for_status()
                url = f"{deployment.request_url}/requests/{submitted.json()['id']}/response"
                while (await client.get(url, headers=user)).status_code != 200:
                    deployment.check_alive()
                    if time.perf_counter() - started > 60:
                        raise TimeoutError("no answer within 60 s")
                    await asyncio.sleep(0.01)
                trips.append(time.perf_counter() - started)
    submit_p50 = statistics.median(submits)
    trip_p50 = statistics.median(trips)
    print(f"embedded round trip, {count} echo requests one after another")
    print(f"submission alone (baseline)  p50 {submit_p50 * 1000:8.1f} ms")
    print(
        f"submit -> readable answer    p50 {trip_p50 * 1000:8.1f} ms   "
        f"p95 {quantile(trips, 0.95) * 1000:8.1f} ms   max {max(trips) * 1000:8.1f} ms"
    )
    print(
        f"round trip p50 = {trip_p50 / submit_p50:.0f}x the submission; target < 2 s: "
        f"{'met' if max(trips) < 2 else 'NOT met'} (max {max(trips):.2f} s)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    asyncio.run(main(parser.parse_args().requests))
