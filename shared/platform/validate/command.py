"""The commands around the checks: `validate_command` builds a network CLI's `validate`
(check this network, print one line per check or a JSON report), and `run_validation` behind
`airlock validate` runs it for each network in its own process, here or in its compose
container (`Mode`, `Networks`, `Compose`), collects the reports and adds the peer-key checks.
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
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from core.heartbeat import WorkerHeartbeatMixin
from core.jobs import JobRegistry
from core.process import fail
from shared.exchange.settings import TransferNetworkSettings
from shared.platform.validate.checks import validate_network
from shared.platform.validate.keys import peer_key_checks
from shared.platform.validate.model import CHECKS, Check, NetworkReport, Target

NETWORK_MODULES = {"response": "response_network", "request": "request_network"}


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
