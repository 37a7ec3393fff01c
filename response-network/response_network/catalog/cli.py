"""`airlock-response types ...` and `profiles ...`: the catalog at a terminal, via the services."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from core.db import UnitOfWork
from core.process import fail
from response_network.catalog import service
from response_network.catalog.schemas import ProfileUpdate, RequestTypeCreate
from response_network.handlers import build_handler_registry
from response_network.settings import ResponseSettings
from response_network.users.cli import OpenRuntime, cli_actor, refuse_input, run_in_unit_of_work
from shared.access import HIGHEST_PRIORITY

console = Console(stderr=True)
MAX_DEFINITION_BYTES = 1_000_000


def make_types_cli(
    open_runtime: OpenRuntime, load_settings: Callable[[], ResponseSettings]
) -> typer.Typer:
    types = typer.Typer(help="List, define and delete request types.")

    @types.command("list")
    def list_types(
        include_deleted: Annotated[bool, typer.Option("--include-deleted")] = False,
    ) -> None:
        """List request types in name order."""

        async def work(uow: UnitOfWork) -> list[tuple[str, ...]]:
            found = await service.list_request_types(
                session=uow.session, include_deleted=include_deleted
            )
            return [
                (
                    t.name,
                    t.title,
                    t.handler,
                    "yes" if t.active else "no",
                    str(t.version),
                    "deleted" if t.deleted_at else "",
                )
                for t in found
            ]

        table = Table("name", "title", "handler", "active", "version", "")
        for row in run_in_unit_of_work(open_runtime, work):
            table.add_row(*row)
        Console().print(table)

    @types.command("create-from-file")
    def create_from_file(
        path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    ) -> None:
        """Define a request type from a JSON file (the body `POST /admin/request-types` takes)."""
        if path.stat().st_size > MAX_DEFINITION_BYTES:
            fail(f"{path} is larger than {MAX_DEFINITION_BYTES} bytes")
        try:
            data = RequestTypeCreate.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except ValidationError as exc:
            refuse_input(exc)
        except (ValueError, UnicodeDecodeError) as exc:
            fail(f"{path} is not JSON: {exc}")

        async def work(uow: UnitOfWork) -> int:
            item = await service.create_request_type(
                session=uow.session,
                handlers=build_handler_registry(load_settings()),
                data=data,
                actor=cli_actor(),
            )
            return item.version

        run_in_unit_of_work(open_runtime, work)
        console.print(f"created request type [bold]{data.name}[/] ({data.handler})")

    @types.command("delete")
    def delete(name: str) -> None:
        """Delete (soft) a request type: new requests of it are refused."""

        async def work(uow: UnitOfWork) -> None:
            item = await service.get_request_type(session=uow.session, name=name)
            await service.delete_request_type(session=uow.session, item=item, actor=cli_actor())

        run_in_unit_of_work(open_runtime, work)
        console.print(f"deleted request type {name}")

    return types


def make_profiles_cli(open_runtime: OpenRuntime) -> typer.Typer:
    profiles = typer.Typer(help="List profiles and set their max priority.")

    @profiles.command("list")
    def list_profiles() -> None:
        """List profiles with their types and hard limits."""

        async def work(uow: UnitOfWork) -> list[tuple[str, ...]]:
            found = await service.list_profiles(session=uow.session)
            return [
                (
                    p.name,
                    "all" if p.allow_all else ", ".join(p.allowed_types),
                    ", ".join(p.blocked_types),
                    " ".join(f"{w}:{v['hard']}" for w, v in p.limits.items()),
                    str(p.max_results),
                    str(p.max_priority),
                )
                for p in found
            ]

        table = Table("name", "types", "blocked", "hard limits", "max results", "max priority")
        for row in run_in_unit_of_work(open_runtime, work):
            table.add_row(*row)
        Console().print(table)

    @profiles.command("set-max-priority")
    def set_max_priority(
        name: str,
        priority: Annotated[int, typer.Argument(min=0, max=HIGHEST_PRIORITY)],
    ) -> None:
        """Let the profile's users submit requests up to this priority (0-9)."""

        async def work(uow: UnitOfWork) -> None:
            item = await service.get_profile(session=uow.session, name=name)
            await service.update_profile(
                session=uow.session,
                item=item,
                data=ProfileUpdate(max_priority=priority),
                actor=cli_actor(),
            )

        run_in_unit_of_work(open_runtime, work)
        console.print(f"profile {name}: max priority {priority}")

    return profiles
