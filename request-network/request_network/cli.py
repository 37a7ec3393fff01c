"""`airlock-request`: set up and run the request network.

Each command imports what it needs when it runs (`core.lazy_cli`): `--help` starts at once,
without FastAPI, SQLAlchemy or Celery.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from core.lazy_cli import LazyTyper

if TYPE_CHECKING:
    from request_network.settings import RequestSettings
    from shared.exchange.context import TransferContext

app = LazyTyper(help="Airlock request network (the exposed side).", no_args_is_help=True)
console = Console(stderr=True)


def _settings(**overrides: object) -> RequestSettings:
    from core.logging import configure_logging
    from core.process import load_settings
    from request_network.settings import RequestSettings

    settings = load_settings(RequestSettings, **{k: v for k, v in overrides.items() if v})
    configure_logging(level=settings.log_level, json=settings.json_logs, network="request")
    return settings


@app.command()
def migrate(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply database migrations up to REVISION."""
    from request_network.bootstrap import migrate as migrate_database

    migrate_database(_settings(), revision)
    console.print(f"request database at {revision}")


@app.command()
def init() -> None:
    """Create the var and transfer directories and migrate: ready to run."""
    from request_network.bootstrap import migrate as migrate_database
    from shared.exchange.keys import ensure_keys

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
    from core.process import serve
    from request_network.app import create_app
    from request_network.bootstrap import migrate as migrate_database
    from shared.exchange.keys import check_keys, ensure_keys

    settings = _settings(host=host, port=port)
    ensure_keys(settings)
    check_keys(settings)
    migrate_database(settings)
    serve(create_app(settings), settings)


@app.command()
def worker(concurrency: Annotated[int, typer.Option(min=1)] = 2) -> None:
    """Run a Celery worker for this network's jobs (production mode)."""
    from core.process import run_celery
    from request_network.jobs import registry
    from request_network.runtime import RequestRuntime
    from shared.exchange.keys import check_keys

    settings = _settings()
    check_keys(settings)
    run_celery(
        RequestRuntime.celery_app(settings, registry),
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
    from core.process import run_celery
    from request_network.jobs import registry
    from request_network.runtime import RequestRuntime

    settings = _settings()
    run_celery(
        RequestRuntime.celery_app(settings, registry), ["beat", f"--loglevel={settings.log_level}"]
    )


@app.lazy_command(
    "prepare",
    help="Wait for the database and Redis, migrate once, seed, install keys: ready to start.",
)
def _prepare() -> Callable[..., None]:
    from core.entrypoint import prepare_command
    from request_network.bootstrap import MIGRATIONS
    from request_network.bootstrap import migrate as migrate_database
    from shared.platform.validate import key_files
    from shared.transfer import parse_public_key

    return prepare_command(
        _settings,
        migrations=MIGRATIONS,
        migrate=migrate_database,
        seed=None,
        key_files=key_files,
        parse_public_key=parse_public_key,
    )


@app.lazy_command(
    "validate",
    help="Check this network: API, schema, Redis, workers, jobs, transfer directory, keys.",
)
def _validate() -> Callable[..., None]:
    from request_network.bootstrap import MIGRATIONS
    from request_network.jobs import registry
    from request_network.operations.models import WorkerHeartbeat
    from shared.platform.validate import validate_command

    return validate_command(
        _settings, migrations=MIGRATIONS, heartbeats=WorkerHeartbeat, registry=registry
    )


@asynccontextmanager
async def _open_context() -> AsyncIterator[TransferContext]:
    from request_network.jobs import registry
    from request_network.runtime import RequestRuntime
    from request_network.transfer.service import transfer_context

    runtime = RequestRuntime.build(_settings(), registry, start_scheduler=False)
    try:
        yield transfer_context(runtime)
    finally:
        await runtime.close()


@app.lazy_command("transfer", help="Inspect and repair the transfer.")
def _transfer() -> typer.Typer:
    from shared.platform.exchange_cli import make_transfer_cli

    return make_transfer_cli(_open_context)


@app.lazy_command("keys", help="This network's signing keys.")
def _keys() -> typer.Typer:
    from shared.platform.exchange_cli import make_keys_cli

    return make_keys_cli(_settings)
