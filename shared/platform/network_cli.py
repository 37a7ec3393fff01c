"""The commands both networks' command lines have, written once: `migrate`, `worker`, `beat`,
`prepare`, `validate`, `transfer` and `keys`.

A network's modules are named, not imported: they are imported when a command runs, so
`--help` still starts without FastAPI, SQLAlchemy or Celery (`core.lazy_cli`). Each network
keeps the modules the commands need under the same names: `bootstrap` (`MIGRATIONS`,
`migrate`), `jobs` (`registry`), `operations.models` (`WorkerHeartbeat`), `runtime` (its
runtime class) and `transfer.service` (`transfer_context`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from core.lazy_cli import LazyTyper

if TYPE_CHECKING:
    from shared.exchange.context import TransferContext
    from shared.platform.settings import PlatformSettings

console = Console(stderr=True)


@dataclass(frozen=True)
class NetworkCommands:
    app: LazyTyper
    network: str
    """`request` or `response`: the Celery queue is `airlock.<network>`."""
    package: str
    """The network's package (`request_network`)."""
    runtime: str
    """The runtime class in `<package>.runtime` (`RequestRuntime`)."""
    settings: Callable[..., PlatformSettings]
    """Loads the network's settings (and configures logging)."""

    def _module(self, name: str) -> Any:
        return import_module(f"{self.package}.{name}")

    @asynccontextmanager
    async def open_runtime(self) -> AsyncIterator[Any]:
        """The network's runtime for one command, closed after it."""
        runtime_type = getattr(self._module("runtime"), self.runtime)
        runtime = runtime_type.build(
            self.settings(), self._module("jobs").registry, start_scheduler=False
        )
        try:
            yield runtime
        finally:
            await runtime.close()

    @asynccontextmanager
    async def open_context(self) -> AsyncIterator[TransferContext]:
        async with self.open_runtime() as runtime:
            yield self._module("transfer.service").transfer_context(runtime)

    def add_migrate_command(self) -> None:
        @self.app.command()
        def migrate(revision: Annotated[str, typer.Argument()] = "head") -> None:
            """Apply database migrations up to REVISION."""
            self._module("bootstrap").migrate(self.settings(), revision)
            console.print(f"{self.network} database at {revision}")

    def _celery_app(self, settings: PlatformSettings) -> Any:
        runtime_type = getattr(self._module("runtime"), self.runtime)
        return runtime_type.celery_app(settings, self._module("jobs").registry)

    def add_celery_commands(self) -> None:
        """`worker` and `beat` (production mode)."""

        @self.app.command()
        def worker(concurrency: Annotated[int, typer.Option(min=1)] = 2) -> None:
            """Run a Celery worker for this network's jobs (production mode)."""
            from core.process import run_celery
            from shared.exchange.keys import check_keys

            settings = self.settings()
            check_keys(settings)
            run_celery(
                self._celery_app(settings),
                [
                    "worker",
                    f"--concurrency={concurrency}",
                    f"--loglevel={settings.log_level}",
                    "-Q",
                    f"airlock.{self.network}",
                ],
            )

        @self.app.command()
        def beat() -> None:
            """Run Celery beat, which enqueues this network's scheduled jobs."""
            from core.process import run_celery

            settings = self.settings()
            run_celery(self._celery_app(settings), ["beat", f"--loglevel={settings.log_level}"])

    def add_setup_commands(self, *, seed: Callable[[Any], object] | None = None) -> None:
        """`prepare` (what a container runs before its process; `seed` after migrating) and
        `validate`."""

        @self.app.lazy_command(
            "prepare",
            help="Wait for the database and Redis, migrate once, seed, install keys: "
            "ready to start.",
        )
        def _prepare() -> Callable[..., None]:
            from core.entrypoint import prepare_command
            from shared.platform.validate import key_files
            from shared.transfer import parse_public_key

            bootstrap = self._module("bootstrap")
            return prepare_command(
                self.settings,
                migrations=bootstrap.MIGRATIONS,
                migrate=bootstrap.migrate,
                seed=seed,
                key_files=key_files,
                parse_public_key=parse_public_key,
            )

        @self.app.lazy_command(
            "validate",
            help="Check this network: API, schema, Redis, workers, jobs, transfer directory, keys.",
        )
        def _validate() -> Callable[..., None]:
            from shared.platform.validate import validate_command

            return validate_command(
                self.settings,
                migrations=self._module("bootstrap").MIGRATIONS,
                heartbeats=self._module("operations.models").WorkerHeartbeat,
                registry=self._module("jobs").registry,
            )

    def add_transfer_commands(self) -> None:
        """`transfer` (status and repairs), `tasks` (jobs and workers) and `keys`."""

        @self.app.lazy_command("transfer", help="Inspect and repair the transfer.")
        def _transfer() -> typer.Typer:
            from shared.platform.exchange_cli import make_transfer_cli

            return make_transfer_cli(self.open_context)

        @self.app.lazy_command(
            "tasks", help="Jobs with their schedule and last runs, the queue, the Celery workers."
        )
        def _tasks() -> Callable[..., None]:
            from shared.platform.tasks.cli import make_tasks_command

            return make_tasks_command(self.open_runtime)

        @self.app.lazy_command("keys", help="This network's signing keys.")
        def _keys() -> typer.Typer:
            from shared.platform.exchange_cli import make_keys_cli

            return make_keys_cli(self.settings)
