"""`airlock-request`: set up and run the request network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import typer
from rich.console import Console

from core.entrypoint import prepare_command
from core.logging import configure_logging
from core.process import load_settings, run_celery, serve
from core.runtime import build_runtime, celery_app_for
from request_network.app import create_app
from request_network.bootstrap import MIGRATIONS
from request_network.bootstrap import migrate as migrate_database
from request_network.jobs import registry
from request_network.operations.models import WorkerHeartbeat
from request_network.settings import RequestSettings
from request_network.transfer.service import transfer_context
from shared.exchange.cli import make_keys_cli, make_transfer_cli
from shared.exchange.context import TransferContext
from shared.exchange.setup import check_keys, ensure_keys
from shared.transfer import parse_public_key
from shared.validate import key_files, validate_command

app = typer.Typer(help="Airlock request network (the exposed side).", no_args_is_help=True)
console = Console(stderr=True)


def _settings(**overrides: object) -> RequestSettings:
    settings = load_settings(RequestSettings, **{k: v for k, v in overrides.items() if v})
    configure_logging(level=settings.log_level, json=settings.json_logs, network="request")
    return settings


@app.command()
def migrate(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply database migrations up to REVISION."""
    migrate_database(_settings(), revision)
    console.print(f"request database at {revision}")


@app.command()
def init() -> None:
    """Create the var and transfer directories and migrate: ready to run."""
    settings = _settings()
    settings.resolved_transfer_dir.mkdir(parents=True, exist_ok=True)
    migrate_database(settings)
    ensure_keys(settings)
    console.print("request network initialised")


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
) -> None:
    """Migrate, then serve the API with the in-process job scheduler."""
    settings = _settings(host=host, port=port)
    ensure_keys(settings)
    check_keys(settings)
    migrate_database(settings)
    serve(create_app(settings), settings)


@app.command()
def worker(concurrency: Annotated[int, typer.Option(min=1)] = 2) -> None:
    """Run a Celery worker for this network's jobs (production mode)."""
    settings = _settings()
    check_keys(settings)
    run_celery(
        celery_app_for(settings, registry),
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--loglevel={settings.log_level}",
            "-Q",
            "airlock.request",
        ],
    )


@app.command()
def beat() -> None:
    """Run Celery beat, which enqueues this network's scheduled jobs."""
    settings = _settings()
    run_celery(celery_app_for(settings, registry), ["beat", f"--loglevel={settings.log_level}"])


@asynccontextmanager
async def _open_context() -> AsyncIterator[TransferContext]:
    runtime = build_runtime(_settings(), registry, start_scheduler=False)
    try:
        yield transfer_context(runtime)
    finally:
        await runtime.close()


app.add_typer(make_transfer_cli(_open_context), name="transfer")
app.add_typer(make_keys_cli(_settings), name="keys")
app.command("prepare")(
    prepare_command(
        _settings,
        migrations=MIGRATIONS,
        migrate=migrate_database,
        seed=None,
        key_files=key_files,
        parse_public_key=parse_public_key,
    )
)
app.command("validate")(
    validate_command(
        _settings, migrations=MIGRATIONS, heartbeats=WorkerHeartbeat, registry=registry
    )
)
