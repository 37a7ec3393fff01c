"""The checks one network runs on itself, in its own process with its own settings: API and
clock, readiness, migrations, Redis, Celery workers, scheduled jobs, the transfer directory and
its keys; `validate_network` runs those asked for and returns the network's report.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from core.db import create_engine, create_session_factory
from core.entrypoint import describe, reason, schema_revision
from core.heartbeat import latest_heartbeats
from core.migrations import head_revision
from core.runtime import Runtime, check_writable
from core.settings import env_name
from shared.exchange.keys import PEERS
from shared.platform.validate.keys import key_files, same_key
from shared.platform.validate.model import CHECKS, Check, NetworkReport, Target
from shared.transfer import key_fingerprint, load_private_key, parse_public_key, public_key_text

MAX_CLOCK_SKEW = timedelta(minutes=1)


class _Checks:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.settings = target.settings
        self.network = target.settings.network_name

    def ok(self, name: str, detail: str) -> Check:
        return Check(self.network, name, True, detail)

    def failed(self, name: str, detail: str, fix: str) -> Check:
        return Check(self.network, name, False, detail, fix)

    async def api(self, client: httpx.AsyncClient) -> list[Check]:
        """Liveness and the clock, from one answer of `/health`."""
        url = f"{self.target.api_url}/health"
        try:
            response = await client.get(url)
        except httpx.HTTPError as exc:
            return [
                self.failed(
                    "api",
                    f"{url} does not answer ({type(exc).__name__})",
                    f"start it (`make run`, or `airlock-{self.network} run`) and read its log",
                ),
                self.failed("clock", "unknown: the API does not answer", "start the API first"),
            ]
        live = (
            self.ok("api", f"{url} answers")
            if response.status_code == 200
            else self.failed("api", f"{url} answers {response.status_code}", "read the API's log")
        )
        return [live, self._clock(response.headers.get("date"))]

    def _clock(self, date: str | None) -> Check:
        try:
            skew = abs(datetime.now(UTC) - parsedate_to_datetime(date or ""))
        except (TypeError, ValueError):
            return self.failed("clock", f"no usable Date header ({date})", "serve it with uvicorn")
        if skew > MAX_CLOCK_SKEW:
            return self.failed(
                "clock",
                f"the API's clock is {skew.total_seconds():.0f}s off this machine's",
                "synchronise the clocks of both networks' machines (NTP)",
            )
        return self.ok("clock", f"within {skew.total_seconds():.0f}s of this machine")

    async def ready(self, client: httpx.AsyncClient) -> Check:
        url = f"{self.target.api_url}/health/ready"
        try:
            response = await client.get(url)
        except httpx.HTTPError as exc:
            return self.failed("ready", f"{url} does not answer ({type(exc).__name__})", "start it")
        if response.status_code == 200:
            return self.ok("ready", "database, cache and transfer directory answer")
        try:
            checks = dict(response.json().get("checks", {}))
        except (ValueError, AttributeError):
            checks = {}
        broken = ", ".join(f"{name} {state}" for name, state in checks.items() if state != "ok")
        return self.failed(
            "ready",
            f"not ready ({broken or response.status_code})",
            "bring back the dependency named here; its own check below says more",
        )

    async def migrations(self) -> Check:
        url = self.settings.resolved_database_url
        head = head_revision(self.target.migrations)
        if _missing_sqlite_file(url):
            return self.failed(
                "migrations",
                f"no database at {describe(url)}",
                f"`airlock-{self.network} init` (or `make run`) creates it",
            )
        try:
            revision = await schema_revision(url)
        except (OSError, SQLAlchemyError) as exc:
            return self.failed(
                "migrations",
                f"database {describe(url)} not reachable ({reason(exc)})",
                f"start the database, check {env_name(self.settings, 'database_url')}",
            )
        if revision != head:
            return self.failed(
                "migrations",
                f"database at {revision or 'no revision'}, the latest is {head}",
                f"`airlock-{self.network} migrate` (the api's entrypoint migrates on start)",
            )
        return self.ok("migrations", f"database at the latest revision {head}")

    async def redis(self, url: str) -> Check:
        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            await client.ping()
        except (OSError, RedisError) as exc:
            return self.failed(
                "redis",
                f"{describe(url)} not reachable ({reason(exc)})",
                f"start Redis, check {env_name(self.settings, 'redis_url')}",
            )
        finally:
            await client.aclose()
        return self.ok("redis", f"{describe(url)} answers")

    def workers(self) -> Check:
        """Celery workers consuming this network's queue answer a broadcast."""
        app = Runtime.celery_app(self.settings, self.target.registry)
        # One try: with Redis down, kombu's retries made this check alone take 6 s.
        app.conf.broker_transport_options = {**app.conf.broker_transport_options, "max_retries": 0}
        queue = f"airlock.{self.network}"
        try:
            replies = app.control.inspect(timeout=2.0).active_queues() or {}
        except Exception as exc:  # kombu raises many kinds when the broker is gone
            return self.failed("workers", f"cannot ask ({reason(exc)})", "start Redis")
        finally:
            app.close()
        names = sorted(
            name for name, queues in replies.items() if any(q.get("name") == queue for q in queues)
        )
        if not names:
            return self.failed(
                "workers",
                f"no Celery worker consumes {queue}",
                f"start one: `airlock-{self.network} worker` (compose: {self.network}-worker)",
            )
        return self.ok("workers", f"{len(names)} answering ({', '.join(names)})")

    async def jobs(self) -> Check:
        """Scheduled jobs run: the heartbeat job's row is fresh (beat and a worker, or the
        API's in-process scheduler)."""
        name = "jobs" if self.settings.embedded else "beat"
        every = self.target.registry.get("heartbeat").every or 30
        if _missing_sqlite_file(self.settings.resolved_database_url):
            return self.failed(name, "no database yet", "see migrations")
        engine = create_engine(self.settings.resolved_database_url)
        try:
            async with create_session_factory(engine)() as session:
                rows = await latest_heartbeats(session=session, model=self.target.heartbeats)
        except (OSError, SQLAlchemyError) as exc:
            return self.failed(name, f"cannot read heartbeats ({reason(exc)})", "see migrations")
        finally:
            await engine.dispose()
        fix = (
            "the API runs the jobs in-process: they start with it; "
            f"check {env_name(self.settings, 'jobs_enabled')} is not false and read its log"
            if self.settings.embedded
            else f"start beat and a worker (`airlock-{self.network} beat`, `... worker`); "
            "wait a few seconds after they start"
        )
        if not rows:
            return self.failed(name, "no heartbeat recorded yet", fix)
        age = (datetime.now(UTC) - rows[0].last_seen_at).total_seconds()
        # A worker busy with a long import may tick late: a minute's grace at least.
        if age > max(3 * every, 60):
            return self.failed(name, f"last heartbeat {age:.0f}s ago (due every {every:g}s)", fix)
        return self.ok(name, f"last heartbeat {age:.0f}s ago by {rows[0].worker}")

    def transfer(self) -> Check:
        root = self.settings.resolved_transfer_dir
        if not root.is_dir():
            return self.failed(
                "transfer",
                f"{root} does not exist",
                f"mount the transfer volume there or run `airlock-{self.network} init`",
            )
        own = root / self.network
        for directory in (root, own) if own.is_dir() else (root,):
            try:
                check_writable(directory)
            except OSError as exc:
                return self.failed(
                    "transfer",
                    f"{directory} is not writable ({exc.strerror})",
                    "give the user running Airlock write access to it",
                )
        free = shutil.disk_usage(root).free
        if free < self.target.min_free_bytes:
            return self.failed(
                "transfer",
                f"{root} has {free // 2**20} MiB free, under {self.target.min_free_bytes // 2**20}",
                "free space there or move TRANSFER_DIR to a larger volume",
            )
        return self.ok("transfer", f"{root} writable, {free / 2**30:.1f} GiB free")

    def keys(self, report: NetworkReport) -> Check:
        files = key_files(self.settings)
        peer = PEERS[self.network]
        report.peer_key_path = str(files.peer_public_key)
        problems: list[tuple[str, str]] = []
        regenerate = (
            f"`airlock-{self.network} keys generate --overwrite`, then give the {peer} "
            f"network the output of `airlock-{self.network} keys show`"
        )
        fetch_peer = f"write the output of `airlock-{peer} keys show` to {files.peer_public_key}"
        try:
            own = load_private_key(files.signing_key).public_key()
            report.public_key = public_key_text(own)
        except (OSError, ValueError) as exc:
            problems.append((f"signing key {files.signing_key}: {_why(exc)}", regenerate))
        if (
            report.public_key
            and files.public_key.exists()
            and not same_key(files.public_key.read_text(), report.public_key)
        ):
            problems.append(
                (f"{files.public_key} is not the signing key's public half", regenerate)
            )
        try:
            peer_key = parse_public_key(files.peer_public_key.read_text())
            report.peer_public_key = public_key_text(peer_key)
        except (OSError, ValueError) as exc:
            problems.append((f"{peer} public key {files.peer_public_key}: {_why(exc)}", fetch_peer))
        if problems:
            return self.failed(
                "keys", "; ".join(p[0] for p in problems), "; ".join(p[1] for p in problems)
            )
        return self.ok(
            "keys",
            f"signing {key_fingerprint(own)}, {peer} {key_fingerprint(peer_key)}",
        )


def _why(exc: Exception) -> str:
    return "missing" if isinstance(exc, FileNotFoundError) else str(exc)


def _missing_sqlite_file(url: str) -> bool:
    # Connecting would create an empty file and hide the problem.
    return url.startswith("sqlite") and not Path(describe(url)).exists()


async def validate_network(target: Target, only: Iterable[str] = CHECKS) -> NetworkReport:
    """Run this network's checks; those that do not apply to its mode are left out."""
    wanted = set(only)
    checks = _Checks(target)
    report = NetworkReport(target.settings.network_name)
    results: list[Check] = []
    if wanted & {"api", "clock", "ready"}:
        async with httpx.AsyncClient(timeout=5) as client:
            if wanted & {"api", "clock"}:
                results += [c for c in await checks.api(client) if c.name in wanted]
            if "ready" in wanted:
                results.append(await checks.ready(client))
    if "migrations" in wanted:
        results.append(await checks.migrations())
    redis_url = target.settings.redis_url
    if "redis" in wanted and redis_url is not None:
        results.append(await checks.redis(redis_url))
    if "workers" in wanted and redis_url is not None:
        results.append(await asyncio.to_thread(checks.workers))
    if "jobs" in wanted:
        results.append(await checks.jobs())
    if "transfer" in wanted:
        results.append(checks.transfer())
    if "keys" in wanted:
        results.append(checks.keys(report))
    report.checks = sorted(
        results, key=lambda c: CHECKS.index("jobs" if c.name == "beat" else c.name)
    )
    return report
