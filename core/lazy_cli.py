"""Command lines that start at once: commands whose modules are imported when they run.

`airlock-response --help` lists every command but must not import FastAPI, SQLAlchemy or
Celery to do so. `LazyTyper.lazy_command` registers a command by name with its one-line help;
its factory, which imports what the command needs, runs only when that command is invoked,
completed or asked for its own `--help`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
import typer.main

# Typer carries its own copy of click: its command and context classes live here.
from typer import _click
from typer.core import TyperGroup

CommandFactory = Callable[[], typer.Typer | Callable[..., Any]]
"""Builds a command: a Typer app (a group of commands) or one command function."""


class LazyCommand(TyperGroup):
    """Stands in for a command in its parent's listing; `make_context` builds the real one.

    A `TyperGroup` because it is registered with `add_typer`, which keeps Typer's own order
    of commands and makes the parent a group whatever the rest of the app holds.
    """

    factory: CommandFactory

    def load(self) -> _click.Command:
        built = self.factory()
        if isinstance(built, typer.Typer):
            command: _click.Command = typer.main.get_group(built)
        else:
            single = typer.Typer(add_completion=False)
            single.command(self.name)(built)
            command = typer.main.get_command(single)
        command.name = self.name
        return command

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: _click.Context | None = None,
        **extra: Any,
    ) -> _click.Context:
        # The parent invokes `context.command`: from here on the real command takes over.
        return self.load().make_context(info_name, args, parent=parent, **extra)


class LazyTyper(typer.Typer):
    """A Typer app that can also hold commands built on first use (`lazy_command`)."""

    def lazy_command(self, name: str, *, help: str) -> Callable[[CommandFactory], CommandFactory]:
        """Register the decorated factory as command `name`, listed with `help` (one line,
        the same as the first line of the built command's help)."""

        def register(factory: CommandFactory) -> CommandFactory:
            # Typer builds the stand-in from a class, so the class carries the factory.
            class StandIn(LazyCommand):
                def __init__(self, **attrs: Any) -> None:
                    super().__init__(**attrs)
                    self.factory = factory

            self.add_typer(typer.Typer(cls=StandIn), name=name, help=help)
            return factory

        return register
