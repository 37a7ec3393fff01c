"""`airlock-request`: set up and run the request network.

Each command imports what it needs when it runs (`core.lazy_cli`): `--help` starts at once,
without FastAPI, SQLAlchemy or Celery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from core.lazy_cli import LazyTyper
from shared.platform.network_cli import NetworkCommands

if TYPE_CHECKING:
    from request_network.settings import RequestSettings

app = LazyTyper(help="Airlock request network (the exposed side).", no_args_is_help=True)
console = Console(stderr=True)


def _settings(**overrides: object) -> RequestSettings:
    from core.logging import configure_logging
    from core.process import load_settings
    from request_network.settings import RequestSettings

    settings = load_settings(RequestSettings, **{k: v for k, v in overrides.items() if v})
    configure_logging(level=settings.log_level, json=settings.json_logs, network="request")
    return settings


commands = NetworkCommands(
    app, network="request", package="request_network", runtime="RequestRuntime", settings=_settings
)
commands.add_migrate_command()


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


commands.add_celery_commands()
commands.add_setup_commands()
commands.add_transfer_commands()
