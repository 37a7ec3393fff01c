"""`airlock-response`: set up and run the response network."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import typer
from rich.console import Console

from core.entrypoint import prepare_command
from core.logging import configure_logging
from core.process import load_settings, run_celery, serve
from core.runtime import Runtime, build_runtime, celery_app_for
from response_network.api_keys.cli import make_api_keys_cli
from response_network.app import create_app
from response_network.bootstrap import MIGRATIONS, seed_admin, seed_catalog, seed_demo
from response_network.bootstrap import migrate as migrate_database
from response_network.catalog.cli import make_profiles_cli, make_types_cli
from response_network.jobs import registry
from response_network.operations.models import WorkerHeartbeat
from response_network.search.cli import make_index_cli
from response_network.settings import ResponseSettings
from response_network.transfer.service import transfer_context
from response_network.users.cli import make_users_cli
from response_network.users.service import AdminSeed
from shared.exchange.cli import make_keys_cli, make_transfer_cli
from shared.exchange.context import TransferContext
from shared.exchange.setup import check_keys, ensure_keys
from shared.transfer import parse_public_key
from shared.validate import key_files, validate_command

app = typer.Typer(help="Airlock response network (the master side).", no_args_is_help=True)
console = Console(stderr=True)


def _settings(**overrides: object) -> ResponseSettings:
    settings = load_settings(ResponseSettings, **{k: v for k, v in overrides.items() if v})
    configure_logging(level=settings.log_level, json=settings.json_logs, network="response")
    return settings


def _seed(settings: ResponseSettings, *, demo: bool = False) -> AdminSeed:
    async def seed() -> AdminSeed:
        runtime = build_runtime(settings, registry, start_scheduler=False)
        try:
            seeded = await seed_admin(runtime, settings)
            created = await seed_catalog(runtime)
            if demo:
                created += await seed_demo(runtime, settings)
            for item in created:
                console.print(f"Created {item}.")
            return seeded
        finally:
            await runtime.close()

    result = asyncio.run(seed())
    if result.generated_password:
        console.print(
            f"[bold green]Created admin[/] [bold]{result.user.username}[/] with password "
            f"[bold yellow]{result.generated_password}[/] (shown once; change it after login)."
        )
    elif result.created:
        console.print(f"Created admin [bold]{result.user.username}[/] with the given password.")
    return result


@app.command()
def migrate(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply database migrations up to REVISION."""
    migrate_database(_settings(), revision)
    console.print(f"response database at {revision}")


@app.command()
def seed(
    demo: Annotated[
        bool, typer.Option(help="Also load the demo search index and its request type")
    ] = False,
) -> None:
    """Create the first admin and the seeded catalog where missing (idempotent)."""
    result = _seed(_settings(), demo=demo)
    if not result.created:
        console.print(f"admin {result.user.username} already exists; nothing changed")


@app.command()
def init() -> None:
    """Create the var and transfer directories, migrate and seed: ready to run."""
    settings = _settings()
    settings.resolved_transfer_dir.mkdir(parents=True, exist_ok=True)
    migrate_database(settings)
    _seed(settings)
    ensure_keys(settings)


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
) -> None:
    """Migrate, seed, then serve the API with the in-process job scheduler."""
    settings = _settings(host=host, port=port)
    ensure_keys(settings)
    check_keys(settings)
    migrate_database(settings)
    _seed(settings)
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
            "airlock.response",
        ],
    )


@app.command()
def beat() -> None:
    """Run Celery beat, which enqueues this network's scheduled jobs."""
    settings = _settings()
    run_celery(celery_app_for(settings, registry), ["beat", f"--loglevel={settings.log_level}"])


@asynccontextmanager
async def _open_runtime() -> AsyncIterator[Runtime]:
    runtime = build_runtime(_settings(), registry, start_scheduler=False)
    try:
        yield runtime
    finally:
        await runtime.close()


app.add_typer(make_users_cli(_open_runtime), name="users")
app.add_typer(make_api_keys_cli(_open_runtime), name="api-keys")


@asynccontextmanager
async def _open_context() -> AsyncIterator[TransferContext]:
    async with _open_runtime() as runtime:
        yield transfer_context(runtime)


app.add_typer(make_transfer_cli(_open_context), name="transfer")
app.add_typer(make_keys_cli(_settings), name="keys")
app.add_typer(make_index_cli(_settings), name="index")
app.add_typer(make_types_cli(_open_runtime, _settings), name="types")
app.add_typer(make_profiles_cli(_open_runtime), name="profiles")
app.command("prepare")(
    prepare_command(
        _settings,
        migrations=MIGRATIONS,
        migrate=migrate_database,
        seed=_seed,
        key_files=key_files,
        parse_public_key=parse_public_key,
    )
)
app.command("validate")(
    validate_command(
        _settings, migrations=MIGRATIONS, heartbeats=WorkerHeartbeat, registry=registry
    )
)
