"""What a scenario checks at its end, read from both databases and both transfer APIs.

The databases are the scenario's own, so every row in them is one of its requests: a row
nobody submitted is as much a failure as a submission with no row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from soak.system import System
from tests import deployment as deployed
from tests.deployment import bearer


@dataclass
class Verdict:
    submitted: int
    problems: list[str] = field(default_factory=list)
    rerun: int = 0
    """Requests whose handler ran more than once (a worker killed mid-run): allowed, since
    Celery runs at least once; the answer must still be recorded once."""
    latencies: list[float] = field(default_factory=list)
    """Submit-to-readable seconds per request: its `pending` to its `answered` event."""
    first_submitted: datetime | None = None
    last_answered: datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


async def rows(url: str, query: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return list(await connection.execute(text(query)))
    finally:
        await engine.dispose()


def _ids(rows: list[Any]) -> set[str]:
    return {str(row[0]) for row in rows}


async def exactly_once(system: System, submitted: Collection[str]) -> Verdict:
    """Every submitted request answered once on the master, its answer imported once and
    delivered once on the request network; nothing else in either database."""
    verdict = Verdict(len(submitted))
    wanted = set(submitted)
    master = await rows(
        system.response_db,
        "SELECT r.id, r.attempts, s.status, s.answer_number FROM request r "
        "LEFT JOIN response s ON s.id = r.id",
    )
    replica = await rows(system.request_db, "SELECT id, status, delivered_answer FROM request")
    answers = await rows(system.request_db, "SELECT id, answer_number FROM response")
    events = await rows(
        system.request_db, "SELECT request_id, status, at FROM request_event ORDER BY id"
    )

    def report(what: str, ids: Collection[str]) -> None:
        if ids:
            sample = ", ".join(sorted(ids)[:5])
            verdict.problems.append(f"{len(ids)} {what} (e.g. {sample})")

    report("submitted but not on the master", wanted - _ids(master))
    report("on the master but never submitted", _ids(master) - wanted)
    report("on the request network but never submitted", _ids(replica) - wanted)
    report("not answered on the master", {str(r[0]) for r in master if r[2] != "answered"})
    report("answered more than once on the master", {str(r[0]) for r in master if r[3] != 1})
    report(
        "not delivered on the request network",
        {str(r[0]) for r in replica if r[1] != "delivered" or r[2] != 1},
    )
    report("whose imported answer is not answer 1", {str(r[0]) for r in answers if r[1] != 1})
    report("with no imported answer", wanted - _ids(answers))
    verdict.rerun = sum(1 for row in master if (row[1] or 0) > 1)

    counts = Counter((str(row[0]), row[1]) for row in events)
    for status in ("pending", "answered", "delivered"):
        report(
            f"with {status} recorded other than once",
            {key for key in wanted if counts[(key, status)] != 1},
        )
    pending = {str(row[0]): row[2] for row in events if row[1] == "pending"}
    answered = {str(row[0]): row[2] for row in events if row[1] == "answered"}
    both = [key for key in answered if key in pending]
    verdict.latencies = [(answered[key] - pending[key]).total_seconds() for key in both]
    if both:
        verdict.first_submitted = min(pending[key] for key in both)
        verdict.last_answered = max(answered[key] for key in both)
    return verdict


def _unsettled(here: dict[str, Any], peer: dict[str, Any]) -> list[str]:
    """Why `here`'s inbound side is not yet level with what `peer` sent (empty: it is)."""
    sent = {stream["stream"]: stream["last_sequence"] for stream in peer["outbound"]}
    why = [
        f"{here['network']} {stream['stream']}: received {stream['last_sequence']} of "
        f"{sent.get(stream['stream'], 0)}, gaps {stream['open_gaps']}"
        for stream in here["inbound"]
        if stream["open_gaps"] or stream["last_sequence"] != sent.get(stream["stream"], 0)
    ]
    if here["waiting"]:
        why.append(f"{here['network']}: {here['waiting']} files in the inbox")
    return why


async def streams_settled(
    client: httpx.AsyncClient, system: System, admins: tuple[str, str]
) -> dict[str, Any]:
    """Wait until every stream has arrived whole each way (no gap, every sequence the peer
    sent, nothing waiting in either inbox); fail at once on a quarantined batch. Returns both
    statuses."""
    urls = (system.deployment.response_url, system.deployment.request_url)
    last: list[str] = []

    async def level() -> dict[str, Any] | None:
        response, request = [
            (await client.get(f"{url}/admin/transfer", headers=bearer(admin))).json()
            for url, admin in zip(urls, admins, strict=True)
        ]
        for status in (response, request):
            if status["quarantined"]:
                raise AssertionError(f"quarantined on {status['network']}: {status['quarantined']}")
        last[:] = _unsettled(response, request) + _unsettled(request, response)
        return None if last else {"response": response, "request": request}

    try:
        return await deployed.until(
            system.deployment, "every stream level and both inboxes empty", level
        )
    except AssertionError as failed:
        raise AssertionError(f"{failed}\nstill: {'; '.join(last)}") from None


async def resends(system: System) -> str:
    """Batches each network sent again because the peer reported them missing."""
    counts = []
    for network, url in (("response", system.response_db), ("request", system.request_db)):
        (row,) = await rows(url, "SELECT coalesce(sum(resent_count), 0) FROM outbox_batch")
        counts.append(f"{network} {row[0]}")
    return ", ".join(counts)


def sequences(statuses: dict[str, Any]) -> str:
    """`stream: last sequence` of each outbound stream, both ways: how many batches moved."""
    return ", ".join(
        f"{stream['stream']} {stream['last_sequence']}"
        for status in statuses.values()
        for stream in status["outbound"]
    )
