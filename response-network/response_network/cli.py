"""`airlock-response`: set up and run the response network.

Each command imports what it needs when it runs (`core.lazy_cli`): `--help` starts at once,
without FastAPI, SQLAlchemy, Celery or the search backends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from core.lazy_cli import LazyTyper
from shared.platform.network_cli import NetworkCommands

if TYPE_CHECKING:
    from response_network.settings import ResponseSettings
    from response_network.users.service import AdminSeed

app = LazyTyper(help="Airlock response network (the master side).", no_args_is_help=True)
console = Console(stderr=True)


def _settings(**overrides: object) -> ResponseSettings:
    from core.logging import configure_logging
    from core.process import load_settings
    from response_network.settings import ResponseSettings

    settings = load_settings(ResponseSettings, **{k: v for k, v in overrides.items() if v})
    configure_logging(level=settings.log_level, json=settings.json_logs, network="response")
    return settings


def _seed(settings: ResponseSettings, *, demo: bool = False) -> AdminSeed:
    import asyncio

    from response_network.bootstrap import seed_admin, seed_catalog, seed_demo
    from response_network.jobs import registry
    from response_network.runtime import ResponseRuntime

    async def seed() -> AdminSeed:
        runtime = ResponseRuntime.build(settings, registry, start_scheduler=False)
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


commands = NetworkCommands(
    app,
    network="response",
    package="response_network",
    runtime="ResponseRuntime",
    settings=_settings,
)
commands.add_migrate_command()


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
    from response_network.bootstrap import migrate as migrate_database
    from shared.exchange.keys import ensure_keys

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
    from core.process import serve
    from response_network.app import create_app
    from response_network.bootstrap import migrate as migrate_database
    from shared.exchange.keys import check_keys, ensure_keys

    settings = _settings(host=host, port=port)
    ensure_keys(settings)
    check_keys(settings)
    migrate_database(settings)
    _seed(settings)
    serve(create_app(settings), settings)


commands.add_celery_commands()
commands.add_setup_commands(seed=_seed)
_open_runtime = commands.open_runtime


@app.lazy_command("users", help="Create, list, deactivate users; reset passwords.")
def _users() -> typer.Typer:
    from response_network.users.cli import make_users_cli

    return make_users_cli(_open_runtime)


@app.lazy_command("api-keys", help="Create, list and revoke API keys.")
def _api_keys() -> typer.Typer:
    from response_network.api_keys.cli import make_api_keys_cli

    return make_api_keys_cli(_open_runtime)


commands.add_transfer_commands()


@app.lazy_command("index", help="Search indexes for the `search` handler.")
def _index() -> typer.Typer:
    from response_network.search.cli import make_index_cli

    return make_index_cli(_settings)


@app.lazy_command("types", help="List, define and delete request types.")
def _types() -> typer.Typer:
    from response_network.catalog.cli import make_types_cli

    return make_types_cli(_open_runtime, _settings)


@app.lazy_command("requests", help="Retry failed requests.")
def _requests() -> typer.Typer:
    from response_network.requests.cli import make_requests_cli

    return make_requests_cli(_open_runtime)


@app.lazy_command("profiles", help="List profiles, set their max priority and per-type limits.")
def _profiles() -> typer.Typer:
    from response_network.catalog.cli import make_profiles_cli

    return make_profiles_cli(_open_runtime)


@app.lazy_command("grants", help="Grant request types to users, with their own limits.")
def _grants() -> typer.Typer:
    from response_network.catalog.cli import make_grants_cli

    return make_grants_cli(_open_runtime)
