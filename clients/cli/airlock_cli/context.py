"""What every command is handed: the global options and the hooks a test replaces."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import httpx

    from airlock_cli.credentials import Credentials
    from airlock_cli.server import Server


@dataclass(frozen=True)
class Hooks:
    """The HTTP transport (None: the network; a test's reaches an app in process), the pause
    between polls and the clock `wait` reads (a test's stand for time passing)."""

    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = field(default=time.sleep)
    clock: Callable[[], float] = field(default=time.monotonic)


@dataclass(frozen=True)
class Context:
    url: str | None
    as_json: bool
    hooks: Hooks

    def server(self, stored: Credentials | None = None) -> Server:
        from airlock_cli.credentials import server_url
        from airlock_cli.server import Server

        return Server(server_url(self.url, stored), self.hooks.transport)

    def emit(self, data: Any, human: Callable[[], None]) -> None:
        """JSON on stdout with `--json`, else what `human` prints."""
        if self.as_json:
            typer.echo(json.dumps(data, indent=2, default=str))
        else:
            human()


def state(ctx: typer.Context) -> Context:
    found = ctx.find_object(Context)
    if found is None:  # pragma: no cover - the app's callback always sets it
        raise RuntimeError("no airlock-client context")
    return found
