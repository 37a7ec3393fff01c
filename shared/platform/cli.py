"""`airlock`: commands that concern both networks (development runner, transfer tools).

`validate` and `transfer` import their modules when they run (`core.lazy_cli`): `airlock
--help` starts at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from types import FrameType

import typer
from rich.console import Console

from core.lazy_cli import LazyTyper

app = LazyTyper(help="Airlock: tools for both networks.", no_args_is_help=True)
console = Console(stderr=True)

NETWORKS = (("response", "response_network"), ("request", "request_network"))
DEV_ENV = {"AIRLOCK_RESPONSE_SEED_ADMIN_REQUEST_NETWORK_LOGIN": "true"}
"""The development admin may log in on both networks (its hash crosses); only `airlock dev`
sets this, never a deployment."""


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


@app.lazy_command(
    "validate",
    help="Check a running Airlock, one line per check; exit status 1 when any check fails.",
)
def _validate() -> Callable[..., None]:
    from shared.platform.validate.cli import validate

    return validate


@app.lazy_command("transfer", help="Verify, inspect and unpack batch files.")
def _transfer() -> typer.Typer:
    from shared.platform.transfer_cli import transfer_app

    return transfer_app


if __name__ == "__main__":
    app(prog_name="airlock")
