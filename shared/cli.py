"""`airlock`: commands that concern both networks (development runner, transfer tools)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from shared.transfer.cli import transfer_app
from shared.validate import Compose, Mode, Networks, run_validation

app = typer.Typer(help="Airlock: tools for both networks.", no_args_is_help=True)
console = Console(stderr=True)

NETWORKS = (("response", "response_network"), ("request", "request_network"))
DEV_ENV = {"AIRLOCK_RESPONSE_SEED_ADMIN_REQUEST_NETWORK_LOGIN": "true"}
"""The development admin may log in on both networks (its hash crosses); only `airlock dev`
sets this, never a deployment."""
app.add_typer(transfer_app, name="transfer", help="Verify, inspect and unpack batch files.")


@app.callback()
def main() -> None:
    """Airlock: ask questions across an air gap."""


@app.command()
def dev() -> None:
    """Run both networks on the embedded default (SQLite, in-process jobs) until Ctrl-C."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    env = {**os.environ, **DEV_ENV}
    for name, module in NETWORKS:
        processes[name] = subprocess.Popen([sys.executable, "-m", module, "run"], env=env)
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM if signum == signal.SIGTERM else signal.SIGINT)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while any(process.poll() is None for process in processes.values()):
        for name, process in processes.items():
            code = process.poll()
            if code is not None and not stopping:
                # One network died on its own: stop the other so the failure is visible.
                console.print(f"[red]{name} network exited with {code}; stopping[/]")
                exit_code = code or 1
                stop(signal.SIGTERM, None)
        time.sleep(0.2)
    for process in processes.values():
        process.wait()
    raise typer.Exit(exit_code)


@app.command()
def validate(
    mode: Annotated[
        Mode, typer.Option(help="auto: inside compose when its API containers run, else here")
    ] = Mode.AUTO,
    network: Annotated[Networks, typer.Option(help="Which networks run here")] = Networks.BOTH,
    only: Annotated[str | None, typer.Option(help="Comma-separated checks (default: all)")] = None,
    min_free_mb: Annotated[
        int, typer.Option(min=0, help="Free space the transfer dir needs")
    ] = 1024,
    compose_file: Annotated[Path, typer.Option()] = Path("docker-compose.dev.yml"),
    env_file: Annotated[Path, typer.Option()] = Path(".env.dev"),
) -> None:
    """Check a running Airlock, one line per check; exit status 1 when any check fails."""
    checks = run_validation(
        mode=mode,
        networks=[name for name, _ in NETWORKS if network in (Networks.BOTH, name)],
        compose=Compose(compose_file, env_file),
        passthrough=[f"--min-free-mb={min_free_mb}", *([f"--only={only}"] if only else [])],
    )
    for check in checks:
        typer.echo(check.line())
    raise typer.Exit(0 if checks and all(check.ok for check in checks) else 1)


if __name__ == "__main__":
    app(prog_name="airlock")
