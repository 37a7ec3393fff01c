"""Load and scale-out: echo requests from concurrent clients through the whole loop.

    .venv/bin/python -m soak.load [--requests 10000] [--clients 50] [--capped 100]
                                  [--layouts single scaled]

For each layout, a production system of its own (PostgreSQL, Redis, Celery; `single`: one
API process and one Celery worker per network, `scaled`: two of each on the same databases
and Redis). Each client is a user of a profile whose daily limit the load never reaches; it
submits its share one request after another (so `--clients` requests are in flight), then
reads every answer once (which delivers it). Meanwhile one more user, whose profile admits
exactly `--capped` a day, races `--capped` + half as many submissions from 10 tasks.

Checks: no 5xx; every request answered once on the master and imported and delivered once on
the request network, nothing else in either database; every stream level both ways and both
inboxes empty; the rate limiter's count of every user equal to what it admitted, the capped
user admitted exactly `--capped`. Prints throughput (submissions/s over the submission
phase, answers/s from the first submission to the last answer imported) and the p50/p95/p99
of the submission and of submit-to-readable (the request's `pending` to its `answered`
event, both written by the request network). Exit status 1 when a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from soak.checks import exactly_once, resends, sequences, streams_settled
from soak.system import (
    System,
    admin_tokens,
    define_profile,
    describe_ms,
    load_average,
    log_in_users,
    production_system,
)
from tests import deployment as deployed
from tests import waiting
from tests.deployment import bearer

LAYOUTS = {"single": 1, "scaled": 2}
"""API processes and Celery workers per network."""
ROOMY_DAY = 10_000_000
CAPPED_RACERS = 10
READ_POLL = 0.5
"""Seconds between two reads of an answer not there yet: 50 clients polling faster would
load the API they measure."""


@dataclass
class Client:
    """One user's connection, what it submitted and what the API answered it."""

    token: str
    url: str
    http: httpx.AsyncClient
    ids: list[str] = field(default_factory=list)
    submit_seconds: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    async def submit(self, message: str) -> int:
        started = time.perf_counter()
        answer = await self.http.post(
            f"{self.url}/requests",
            headers=bearer(self.token),
            json={"request_type": "echo", "parameters": {"message": message}},
        )
        self.statuses[answer.status_code] += 1
        if answer.status_code == 201:
            self.submit_seconds.append(time.perf_counter() - started)
            self.ids.append(answer.json()["id"])
        return answer.status_code

    async def read_all(self, system: System) -> None:
        """Read each answer once it is readable: the first read delivers it."""
        for request_id in self.ids:

            async def readable(request_id: str = request_id) -> bool:
                answer = await self.http.get(
                    f"{self.url}/requests/{request_id}/response", headers=bearer(self.token)
                )
                self.statuses[answer.status_code] += 1
                if answer.status_code == 404 and answer.json()["code"] == "not_answered":
                    return False
                assert answer.status_code == 200, answer.text
                return True

            await waiting.until(
                readable,
                what=f"the answer to {request_id}",
                timeout=deployed.DEADLINE,
                watch=system.deployment.processes.values(),
                poll=READ_POLL,
            )

    async def used_today(self) -> int:
        limits = await self.http.get(f"{self.url}/users/me/limits", headers=bearer(self.token))
        self.statuses[limits.status_code] += 1
        return int(next(w["used"] for w in limits.json()["windows"] if w["window"] == "day"))


@dataclass
class Run:
    layout: str
    load: str = ""
    submitted: int = 0
    submit_wall: float = 0.0
    answer_wall: float = 0.0
    submit_seconds: list[float] = field(default_factory=list)
    readable_seconds: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def run_layout(layout: str, args: argparse.Namespace) -> Run:
    processes = LAYOUTS[layout]
    run = Run(layout)
    with tempfile.TemporaryDirectory(prefix=f"airlock-soak-{layout}-") as directory:
        async with (
            production_system(Path(directory), apis=processes, workers=processes) as system,
            httpx.AsyncClient(timeout=60) as setup,
        ):
            admins = await admin_tokens(setup, system)
            await define_profile(setup, system, "soak_roomy", ROOMY_DAY)
            await define_profile(setup, system, "soak_capped", args.capped)
            tokens = await log_in_users(
                setup, system, args.clients, profile="soak_roomy", day=ROOMY_DAY
            )
            (capped_token,) = await log_in_users(
                setup, system, 1, profile="soak_capped", day=args.capped
            )
            limits = httpx.Limits(max_connections=1)
            https = [httpx.AsyncClient(timeout=60, limits=limits) for _ in range(args.clients + 1)]
            try:
                clients = [
                    Client(
                        user, system.request_urls[number % len(system.request_urls)], https[number]
                    )
                    for number, user in enumerate(tokens)
                ]
                capped = Client(capped_token, system.request_urls[0], https[-1])
                run.load = f"before {load_average()}"
                await _submit(run, args, clients, capped)
                await asyncio.gather(*(client.read_all(system) for client in [*clients, capped]))
                statuses = await streams_settled(setup, system, admins)
                run.load += f", after {load_average()}"
                everyone = [*clients, capped]
                verdict = await exactly_once(system, [i for client in everyone for i in client.ids])
                run.problems += verdict.problems
                run.submitted = verdict.submitted
                run.readable_seconds = verdict.latencies
                if verdict.first_submitted and verdict.last_answered:
                    run.answer_wall = (
                        verdict.last_answered - verdict.first_submitted
                    ).total_seconds()
                run.submit_seconds = [s for client in clients for s in client.submit_seconds]
                await _check_counts(run, args, clients, capped)
                errors = sum(n for c in everyone for code, n in c.statuses.items() if code >= 500)
                if errors:
                    run.problems.append(f"{errors} answers were 5xx")
                print(
                    f"[{layout}] batches moved: {sequences(statuses)}; "
                    f"resent: {await resends(system)}"
                )
            finally:
                for http in https:
                    await http.aclose()
    return run


async def _submit(
    run: Run, args: argparse.Namespace, clients: list[Client], capped: Client
) -> None:
    share, rest = divmod(args.requests, args.clients)
    counts = [share + (number < rest) for number in range(args.clients)]
    tries = args.capped + args.capped // 2

    async def submit_share(client: Client, count: int) -> None:
        for number in range(count):
            await client.submit(f"load {number}")

    async def race_capped(racer: int) -> None:
        for number in range(racer, tries, CAPPED_RACERS):
            await capped.submit(f"capped {number}")

    started = time.perf_counter()
    await asyncio.gather(
        *(submit_share(client, count) for client, count in zip(clients, counts, strict=True)),
        *(race_capped(racer) for racer in range(CAPPED_RACERS)),
    )
    run.submit_wall = time.perf_counter() - started
    refused = capped.statuses[429]
    if (len(capped.ids), refused) != (args.capped, tries - args.capped):
        run.problems.append(
            f"the capped user was admitted {len(capped.ids)} and refused {refused} of {tries}, "
            f"expected {args.capped} and {tries - args.capped}"
        )
    short = [c.statuses for c, count in zip(clients, counts, strict=True) if len(c.ids) != count]
    if short:
        run.problems.append(f"{len(short)} clients were refused submissions: {short[:3]}")


async def _check_counts(
    run: Run, args: argparse.Namespace, clients: list[Client], capped: Client
) -> None:
    """The rate limiter counted every admitted submission of every user, and nothing else."""
    for client in [*clients, capped]:
        used = await client.used_today()
        if used != len(client.ids):
            run.problems.append(
                f"a user's day window counts {used}, it was admitted {len(client.ids)}"
            )


def report(run: Run, args: argparse.Namespace) -> None:
    processes = LAYOUTS[run.layout]
    print(
        f"\n== {run.layout}: {processes} API process(es) and {processes} Celery worker(s) per "
        f"network, {args.requests} requests from {args.clients} clients "
        f"(+ {args.capped} admitted of the capped user); load average {run.load}"
    )
    if run.submit_seconds:
        rate = (len(run.submit_seconds) + args.capped) / run.submit_wall
        print(f"submissions       {rate:8.1f} /s   ({run.submit_wall:.1f} s)")
    if run.answer_wall:
        rate = run.submitted / run.answer_wall
        print(f"answers           {rate:8.1f} /s   ({run.answer_wall:.1f} s)")
    if len(run.submit_seconds) > 1:
        print(f"submission        {describe_ms(run.submit_seconds)}")
    if len(run.readable_seconds) > 1:
        print(f"submit->readable  {describe_ms(run.readable_seconds)}")
    for problem in run.problems:
        print(f"FAILED: {problem}")
    if not run.problems:
        print(
            "checks passed: no 5xx, every request answered and delivered once, streams level, "
            "inboxes empty, rate-limit counts exact"
        )


async def main(args: argparse.Namespace) -> int:
    runs = []
    for layout in args.layouts:
        run = await run_layout(layout, args)
        report(run, args)
        runs.append(run)
    return 1 if any(run.problems for run in runs) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--capped", type=int, default=100, help="the capped user's daily limit")
    parser.add_argument(
        "--layouts", nargs="+", choices=sorted(LAYOUTS), default=["single", "scaled"]
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
