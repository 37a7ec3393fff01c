"""`airlock-client`: log in to the request network, submit requests, wait for and read
their answers. Built on the generated client (`airlock_client`); httpx, the client and the
schema engine (jsonschema-rs) are imported when a command runs, so `--help` starts at once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer

from airlock_cli.commands import COMMANDS
from airlock_cli.context import Context, Hooks
from airlock_cli.exits import EXIT_CODES_HELP, Failure

P = ParamSpec("P")
R = TypeVar("R")


def reported(command: Callable[P, R]) -> Callable[P, R]:
    """One line on stderr and the documented exit code instead of a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except Failure as failure:
            typer.echo(f"airlock-client: {failure.message}", err=True)
            raise typer.Exit(int(failure.code)) from None

    return run


UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="AIRLOCK_URL",
        help="The request network, e.g. http://127.0.0.1:8001 (default: where you logged in).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine output: JSON on stdout.")]


def make_app(hooks: Hooks | None = None) -> typer.Typer:
    """The command line; `hooks` for tests (the installed command uses the defaults)."""
    app = typer.Typer(
        help=f"Ask the request network from a terminal.\n\n{EXIT_CODES_HELP}",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    chosen = hooks or Hooks()

    @app.callback()
    def main(ctx: typer.Context, url: UrlOption = None, as_json: JsonOption = False) -> None:
        ctx.obj = Context(url=url, as_json=as_json, hooks=chosen)

    for name, command in COMMANDS.items():
        app.command(name)(reported(command))
    return app


app = make_app()

if __name__ == "__main__":
    app(prog_name="airlock-client")
