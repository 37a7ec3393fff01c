"""Start-up helpers for the command lines: settings, one-line failures, the API, Celery."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError

from core.settings import NetworkSettings

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

SettingsT = TypeVar("SettingsT", bound=NetworkSettings)


def fail(message: str, code: int = 2) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


class PrepareFailed(Exception):
    """One line for the operator; exit status 2 for a setting, 1 for a dependency."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def load_settings(cls: type[SettingsT], **overrides: Any) -> SettingsT:
    """Build settings or exit with one line naming the bad setting, never a traceback."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        prefix = str(cls.model_config.get("env_prefix", ""))
        field = ".".join(str(part) for part in error["loc"]) or "?"
        env_name = f"{prefix}{field}".upper()
        fail(f"setting {env_name} is invalid: {error['msg']}")


def server_config(app: FastAPI, settings: NetworkSettings) -> uvicorn.Config:
    import uvicorn  # only `run` serves: the other commands start without it

    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        # Our setting, never uvicorn's default (trust 127.0.0.1); each network's app applies
        # the same rule again, so other ASGI servers and test clients see the same address.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips,
        lifespan="on",
    )


def serve(app: FastAPI, settings: NetworkSettings) -> None:
    """Run uvicorn in this process; Ctrl-C and SIGTERM stop it cleanly."""
    import uvicorn

    server = uvicorn.Server(server_config(app, settings))
    server.run()
    if not server.started:
        sys.exit(1)


def run_celery(app: Any, argv: list[str]) -> None:
    app.start(argv)
