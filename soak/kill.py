"""Kill -9: echo requests flow while the Celery workers of both networks are killed.

    .venv/bin/python -m soak.kill [--requests 300] [--clients 5] [--kills 20] [--seed 1]

A production system of its own (PostgreSQL, Redis, one Celery worker and beat per network).
Each client is a user who keeps 3 requests in flight: it submits, and once 3 are out it
reads the oldest (waiting until it is readable) before submitting the next. Meanwhile the
killer draws `--kills` answer counts across the run; at each (and, for half of the kills
drawn at random, once the worker then holds a stream lock: mid-export or mid-import) it
SIGKILLs the worker of one network, picked at random, with its pool child and starts a new
one at once; then it submits a probe request and waits until its answer is readable.

Per kill it prints the recovery, from the restart to:
- `next answer`: the first answer after the restart on the killed worker's side (the
  master's `answered_at` when the response worker died, the request network's `answered`
  event, i.e. a `responses` batch imported, when the request worker died);
- `probe`: the probe's answer readable: the whole loop through both workers again.
Flow should resume within 20 s (a killed holder's stream lock lives `LOCK_TTL_SECONDS`, 15);
a kill over that is reported. At the end: every request (the probes too) answered once and
delivered once, nothing else in either database, every stream level both ways and both
inboxes empty. Exit status 1 when a check failed or a probe took over 20 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
from redis.asyncio import Redis

from soak.checks import exactly_once, resends, rows, sequences, streams_settled
from soak.system import (
    NETWORKS,
    System,
    admin_tokens,
    define_profile,
    load_average,
    log_in_users,
    percentiles,
    production_system,
)
from tests import waiting
from tests.deployment import bearer

IN_FLIGHT = 3
RECOVERY_TARGET = 20.0
DAY = 1_000_000
READ_POLL = 0.1
MID_WORK_TIMEOUT = 30.0
"""Seconds a mid-work kill waits for its worker to take a lock before it kills anyway."""
READ_TIMEOUT = 300.0
"""Seconds one answer may take: several kills in a row may stall the loop this long before
it counts as lost."""


@dataclass
class Kill:
    worker: str
    answers_before: int
    restarted_at: float
    probe_seconds: float | None = None
    next_answer_seconds: float | None = None
    locks: list[str] = field(default_factory=list)
    """The locks the killed worker held: each blocks its stream until its TTL runs out."""


@dataclass
class Flow:
    """What the clients did: every request id, and how many answers they read so far."""

    system: System
    ids: list[str] = field(default_factory=list)
    answers: int = 0
    clients_done: bool = False

    def apis(self) -> list[waiting.Started]:
        # A killed worker is not a failure: only the APIs and beats must stay up.
        return [s for n, s in self.system.deployment.processes.items() if "-worker" not in n]

    async def submit(self, http: httpx.AsyncClient, user: str, message: str) -> str:
        submitted = await http.post(
            f"{self.system.deployment.request_url}/requests",
            headers=bearer(user),
            json={"request_type": "echo", "parameters": {"message": message}},
        )
        assert submitted.status_code == 201, submitted.text
        request_id = str(submitted.json()["id"])
        self.ids.append(request_id)
        return request_id

    async def read(self, http: httpx.AsyncClient, user: str, request_id: str) -> None:
        """Wait until the answer is readable; the first read that finds it delivers it."""

        async def readable() -> bool:
            answer = await http.get(
                f"{self.system.deployment.request_url}/requests/{request_id}/response",
                headers=bearer(user),
            )
            if answer.status_code == 404 and answer.json()["code"] == "not_answered":
                return False
            assert answer.status_code == 200, answer.text
            return True

        await waiting.until(
            readable,
            what=f"the answer to {request_id}",
            timeout=READ_TIMEOUT,
            watch=self.apis(),
            poll=READ_POLL,
        )
        self.answers += 1


async def client(flow: Flow, user: str, count: int) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        out: deque[str] = deque()
        for number in range(count):
            if len(out) >= IN_FLIGHT:
                await flow.read(http, user, out.popleft())
            out.append(await flow.submit(http, user, f"kill scenario {number}"))
        while out:
            await flow.read(http, user, out.popleft())


async def killer(flow: Flow, prober: str, args: argparse.Namespace) -> list[Kill]:
    """Kill at answer counts drawn across the whole run; every other kill (at random) then
    waits until its worker holds a stream lock, mid-export or mid-import: the worst moment,
    which answer counts alone rarely hit (answers arrive just after a batch, when the
    workers are idle)."""
    chance = random.Random(args.seed)  # noqa: S311 - a replayable schedule, not a secret
    targets = sorted(chance.randint(1, args.requests) for _ in range(args.kills))
    workers = [name for network in NETWORKS for name in flow.system.workers(network)]
    kills: list[Kill] = []
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=60))
        redis = {name: _redis(flow.system, name) for name in workers}
        for client in redis.values():
            stack.push_async_callback(client.aclose)
        for target in targets:
            name, mid_work = chance.choice(workers), chance.random() < 0.5

            async def moment(target: int = target) -> bool:
                return flow.answers >= target or flow.clients_done

            await waiting.until(moment, what=f"{target} answers", timeout=READ_TIMEOUT)
            if mid_work:
                with contextlib.suppress(waiting.WaitTimeout):
                    await waiting.until(
                        partial(held_locks, redis[name]),
                        what=f"{name} to hold a lock",
                        timeout=MID_WORK_TIMEOUT,
                    )
            flow.system.kill(name)
            kill = Kill(name, flow.answers, time.time())
            flow.system.restart_worker(name)
            kill.locks = await held_locks(redis[name])
            kills.append(kill)
            probe = await flow.submit(http, prober, "probe")
            try:
                await flow.read(http, prober, probe)
                kill.probe_seconds = time.time() - kill.restarted_at
            except waiting.WaitTimeout as stalled:
                print(f"no answer to a probe after killing {name}: {stalled}")
    return kills


def _redis(system: System, worker: str) -> Redis:
    network = "RESPONSE" if worker.startswith("response") else "REQUEST"
    client: Redis = Redis.from_url(system.deployment.env[f"AIRLOCK_{network}_REDIS_URL"])
    return client


async def held_locks(redis: Redis) -> list[str]:
    """The stream locks held in a network: with one worker per network, its worker's (after
    a kill, the new worker cannot have taken them yet: they live until their TTL)."""
    keys = await redis.keys("*:lock:*")
    return sorted(key.decode().rsplit(":lock:", 1)[1] for key in keys)


async def _next_answers(system: System, kills: list[Kill]) -> None:
    """Each kill's first answer after its restart, on the killed worker's side."""
    master = sorted(
        row[0].timestamp()
        for row in await rows(
            system.response_db, "SELECT answered_at FROM response WHERE answered_at IS NOT NULL"
        )
    )
    imported = sorted(
        row[0].timestamp()
        for row in await rows(
            system.request_db, "SELECT at FROM request_event WHERE status = 'answered'"
        )
    )
    for kill in kills:
        times = master if kill.worker.startswith("response") else imported
        later = [at for at in times if at >= kill.restarted_at]
        if later:
            kill.next_answer_seconds = later[0] - kill.restarted_at


def _seconds(value: float | None) -> str:
    return "   never" if value is None else f"{value:7.1f}s"


async def main(args: argparse.Namespace) -> int:
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="airlock-soak-kill-") as directory:
        async with (
            production_system(Path(directory)) as system,
            httpx.AsyncClient(timeout=60) as setup,
        ):
            admins = await admin_tokens(setup, system)
            await define_profile(setup, system, "soak_kill", DAY)
            users = await log_in_users(
                setup, system, args.clients + 1, profile="soak_kill", day=DAY
            )
            flow = Flow(system)
            load_before = load_average()
            share, rest = divmod(args.requests, args.clients)

            async def clients() -> None:
                shares = [share + (number < rest) for number in range(args.clients)]
                try:
                    await asyncio.gather(*map(partial(client, flow), users[:-1], shares))
                finally:
                    flow.clients_done = True

            running = asyncio.create_task(clients())
            kills = await killer(flow, users[-1], args)
            await running
            statuses = await streams_settled(setup, system, admins)
            load_after = load_average()
            verdict = await exactly_once(system, flow.ids)
            problems += verdict.problems
            await _next_answers(system, kills)
            print(f"batches moved: {sequences(statuses)}; resent: {await resends(system)}")
    print(
        f"\n== kill -9: {args.requests} echo requests from {args.clients} clients "
        f"(+ {len(kills)} probes), {len(kills)} kills (seed {args.seed}); "
        f"load average before {load_before}, after {load_after}"
    )
    print(" #  worker killed          answers  next answer    probe  locks it held")
    for number, kill in enumerate(kills, 1):
        print(
            f"{number:2d}  {kill.worker:22s} {kill.answers_before:7d}     "
            f"{_seconds(kill.next_answer_seconds)}  {_seconds(kill.probe_seconds)}  "
            f"{', '.join(kill.locks) or '-'}"
        )
        if kill.probe_seconds is None or kill.probe_seconds > RECOVERY_TARGET:
            problems.append(
                f"kill {number} ({kill.worker}): flow resumed after {_seconds(kill.probe_seconds)}"
            )
    probes = [kill.probe_seconds for kill in kills if kill.probe_seconds is not None]
    if len(probes) > 1:
        found = percentiles(probes)
        print(f"probe recovery: p50 {found['p50']:.1f} s, max {found['max']:.1f} s")
    print(f"handlers run more than once (a worker killed mid-run): {verdict.rerun}")
    for problem in problems:
        print(f"FAILED: {problem}")
    if not problems:
        print(
            "checks passed: every request answered and delivered once, streams level, inboxes "
            f"empty, every probe answered within {RECOVERY_TARGET:.0f} s of its restart"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    sys.exit(asyncio.run(main(parser.parse_args())))
