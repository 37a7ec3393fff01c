"""Check a running Airlock and say what to fix: `validate_setup.sh` / `airlock validate`.

Each network checks itself in its own process with its own settings
(`airlock-<network> validate`, locally or inside its compose container); `airlock validate`
runs both, adds the checks that need both sides (each trusts the other's key) and prints one
line per check.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from core.db import create_engine, create_session_factory
from core.entrypoint import describe, env_name, reason, schema_revision
from core.heartbeat import WorkerHeartbeatMixin, latest_heartbeats
from core.jobs import JobRegistry
from core.migrations import head_revision
from core.process import fail
from core.runtime import celery_app_for, check_writable
from core.signing_keys import KeyFiles
from shared.exchange.settings import TransferNetworkSettings
from shared.exchange.setup import PEERS, peer_key_path, public_key_path, signing_key_path
from shared.transfer import key_fingerprint, load_private_key, parse_public_key, public_key_text

CHECKS = ("api", "ready", "clock", "migrations", "redis", "workers", "jobs", "transfer", "keys")
MAX_CLOCK_SKEW = timedelta(minutes=1)
NETWORK_MODULES = {"response": "response_network", "request": "request_network"}


def key_files(settings: TransferNetworkSettings) -> KeyFiles:
    return KeyFiles(
        signing_key_path(settings).resolve(),
        public_key_path(settings).resolve(),
        peer_key_path(settings).resolve(),
    )


@dataclass(frozen=True)
class Check:
    network: str
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{'ok  ' if self.ok else 'FAIL'}  {self.network} {self.name}: {self.detail}"
        return text if self.ok else f"{text} - fix: {self.fix}"


@dataclass
class NetworkReport:
    network: str
    checks: list[Check] = field(default_factory=list)
    public_key: str | None = None
    """This network's public key, derived from its signing key."""
    peer_public_key: str | None = None
    peer_key_path: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NetworkReport:
        checks = [Check(**check) for check in data.pop("checks")]
        return cls(checks=checks, **data)


@dataclass(frozen=True)
class Target:
    """One network as its own process sees it."""

    settings: TransferNetworkSettings
    migrations: Path
    heartbeats: type[WorkerHeartbeatMixin]
    registry: JobRegistry
    api_url: str
    min_free_bytes: int


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
        app = celery_app_for(self.settings, self.target.registry)
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


def same_key(one: str, other: str) -> bool:
    """Two one-line public keys name the same key (comments aside)."""
    try:
        keys = [parse_public_key(text) for text in (one, other)]
    except ValueError:
        return False
    raw = [key.public_bytes(Encoding.Raw, PublicFormat.Raw) for key in keys]
    return raw[0] == raw[1]


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


def peer_key_checks(reports: dict[str, NetworkReport]) -> list[Check]:
    """Each side's peer key is the other side's public key."""
    checks = []
    for network, report in reports.items():
        other = reports.get(PEERS[network])
        if other is None:
            continue
        name, peer = "peer key", other.network
        if report.peer_public_key is None or other.public_key is None:
            checks.append(
                Check(network, name, False, f"nothing to compare with {peer}", "see keys above")
            )
        elif same_key(report.peer_public_key, other.public_key):
            checks.append(Check(network, name, True, f"matches the {peer} network's signing key"))
        else:
            checks.append(
                Check(
                    network,
                    name,
                    False,
                    f"{report.peer_key_path} does not match the {peer} network's signing key",
                    f"write the output of `airlock-{peer} keys show` (run on the {peer} "
                    f"network) to {report.peer_key_path}",
                )
            )
    return checks


def api_url(settings: TransferNetworkSettings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # noqa: S104
    return f"http://{host}:{settings.port}"


def validate_command(
    load_settings: Callable[[], TransferNetworkSettings],
    *,
    migrations: Path,
    heartbeats: type[WorkerHeartbeatMixin],
    registry: JobRegistry,
) -> Callable[..., None]:
    """The `validate` command of a network's CLI."""

    def command(
        only: Annotated[
            str, typer.Option(help=f"Comma-separated checks: {','.join(CHECKS)}")
        ] = ",".join(CHECKS),
        api: Annotated[str | None, typer.Option("--api-url", help="Where the API answers")] = None,
        min_free_mb: Annotated[
            int, typer.Option(min=0, help="Free space the transfer dir needs")
        ] = 1024,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON report on stdout")] = False,
    ) -> None:
        """Check this network: API, schema, Redis, workers, jobs, transfer directory, keys."""
        wanted = [name.strip() for name in only.split(",") if name.strip()]
        if unknown := sorted(set(wanted) - set(CHECKS)):
            fail(f"unknown check {', '.join(unknown)}; known: {', '.join(CHECKS)}")
        settings = load_settings()
        target = Target(
            settings=settings,
            migrations=migrations,
            heartbeats=heartbeats,
            registry=registry,
            api_url=(api or api_url(settings)).rstrip("/"),
            min_free_bytes=min_free_mb * 2**20,
        )
        report = asyncio.run(validate_network(target, wanted))
        if as_json:
            typer.echo(json.dumps(asdict(report)))
        else:
            for check in report.checks:
                typer.echo(check.line())
        raise typer.Exit(0 if all(check.ok for check in report.checks) else 1)

    return command


class Mode(StrEnum):
    AUTO = "auto"
    LOCAL = "local"
    COMPOSE = "compose"


class Networks(StrEnum):
    BOTH = "both"
    RESPONSE = "response"
    REQUEST = "request"


@dataclass(frozen=True)
class Compose:
    file: Path
    env_file: Path

    def command(self, *args: str) -> list[str]:
        env = ["--env-file", str(self.env_file)] if self.env_file.exists() else []
        return ["docker", "compose", "-f", str(self.file), *env, *args]

    def running_services(self) -> list[str] | None:
        """None when there is no usable `docker compose` here."""
        if shutil.which("docker") is None:
            return None
        try:
            done = subprocess.run(
                self.command("ps", "--services", "--status", "running"),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.split() if done.returncode == 0 else None


def _collect(network: str, command: list[str] | None) -> NetworkReport:
    if command is None:
        return NetworkReport(
            network,
            [
                Check(
                    network,
                    "api",
                    False,
                    f"no {network}-api container is running",
                    f"`make up PROFILE={network}` (or all)",
                )
            ],
        )
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    try:
        return NetworkReport.from_json(json.loads(done.stdout))
    except (ValueError, KeyError, TypeError):
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        detail = lines[-1].strip() if lines else f"validate exited with {done.returncode}"
        return NetworkReport(
            network,
            [Check(network, "settings", False, detail, "correct the setting named here")],
        )


def run_validation(
    *,
    mode: Mode,
    networks: Iterable[str],
    compose: Compose,
    passthrough: list[str],
) -> list[Check]:
    """Validate each network in its own process (here or in its container), then compare."""
    running = compose.running_services() if mode is not Mode.LOCAL else None
    in_compose = mode is Mode.COMPOSE or (
        mode is Mode.AUTO and any(s.endswith(("-api", "-api-search")) for s in running or [])
    )
    commands: dict[str, list[str] | None] = {}
    for network in networks:
        if in_compose:
            service = next(
                (s for s in (f"{network}-api", f"{network}-api-search") if s in (running or [])),
                None,
            )
            commands[network] = (
                compose.command(
                    "exec", "-T", service, f"airlock-{network}", "validate", "--json", *passthrough
                )
                if service
                else None
            )
        else:
            url = os.environ.get(f"AIRLOCK_{network.upper()}_URL")
            commands[network] = [
                sys.executable,
                "-m",
                NETWORK_MODULES[network],
                "validate",
                "--json",
                *passthrough,
                *(["--api-url", url] if url else []),
            ]
    with ThreadPoolExecutor(max_workers=len(commands) or 1) as pool:
        reports = dict(zip(commands, pool.map(_collect, commands, commands.values()), strict=True))
    checks = [check for report in reports.values() for check in report.checks]
    return checks + peer_key_checks(reports)
