"""`airlock validate`: check both networks of a running Airlock, one line per check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shared.platform.validate.command import (
    NETWORK_MODULES,
    Compose,
    Mode,
    Networks,
    run_validation,
)


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
        networks=[name for name in NETWORK_MODULES if network in (Networks.BOTH, name)],
        compose=Compose(compose_file, env_file),
        passthrough=[f"--min-free-mb={min_free_mb}", *([f"--only={only}"] if only else [])],
    )
    for check in checks:
        typer.echo(check.line())
    raise typer.Exit(0 if checks and all(check.ok for check in checks) else 1)
