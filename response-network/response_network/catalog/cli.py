"""`airlock-response types ...` and `profiles ...`: the catalog at a terminal, via the services."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from core.db import UnitOfWork
from core.errors import NotFound
from core.process import fail
from response_network.catalog import service
from response_network.catalog.schemas import GrantCreate, ProfileUpdate, RequestTypeCreate
from response_network.handlers import build_handler_registry
from response_network.settings import ResponseSettings
from response_network.users.cli import OpenRuntime, cli_actor, refuse_input, run_in_unit_of_work
from response_network.users.service import get_user_by_username
from shared.access import HIGHEST_PRIORITY

console = Console(stderr=True)
MAX_DEFINITION_BYTES = 1_000_000

WindowArgument = Annotated[str, typer.Argument(help="minute, hour, day or month")]
HardArgument = Annotated[int, typer.Argument(help="Refuse past this many")]
SoftOption = Annotated[
    int | None, typer.Option("--soft", help="Warn past this many (default: the hard limit)")
]
OnlyWindow = Annotated[
    str | None, typer.Option("--window", help="Only this window (default: all of them)")
]


def _with_window(
    limits: dict[str, Any], window: str, hard: int | None, soft: int | None
) -> dict[str, Any]:
    """`limits` with `window` set to `{soft, hard}` (or removed when `hard` is None)."""
    changed = {name: value for name, value in limits.items() if name != window}
    if hard is not None:
        changed[window] = {"soft": hard if soft is None else soft, "hard": hard}
    return changed


def _limits_text(limits: dict[str, Any]) -> str:
    return " ".join(f"{w}:{v['soft']}/{v['hard']}" for w, v in limits.items()) or "-"


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
    profiles = typer.Typer(help="List profiles, set their max priority and per-type limits.")

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

    def _set_type_limits(
        name: str, request_type: str, window: str | None, hard: int | None, soft: int | None
    ) -> str:
        async def work(uow: UnitOfWork) -> str:
            item = await service.get_profile(session=uow.session, name=name)
            type_limits = dict(item.type_limits)
            current = type_limits.get(request_type, {})
            windows = [window] if window is not None else list(current)
            for each in windows:
                current = _with_window(current, each, hard, soft)
            type_limits[request_type] = current
            if not current:
                del type_limits[request_type]
            try:
                data = ProfileUpdate(type_limits=type_limits)
            except ValidationError as exc:
                refuse_input(exc)
            await service.update_profile(
                session=uow.session, item=item, data=data, actor=cli_actor()
            )
            return _limits_text(current)

        return run_in_unit_of_work(open_runtime, work)

    @profiles.command("set-type-limit")
    def set_type_limit(
        name: str,
        request_type: str,
        window: WindowArgument,
        hard: HardArgument,
        soft: SoftOption = None,
    ) -> None:
        """Limit the profile's users' submissions of one request type in one window."""
        shown = _set_type_limits(name, request_type, window, hard, soft)
        console.print(f"profile {name}, type {request_type}: {shown}")

    @profiles.command("unset-type-limit")
    def unset_type_limit(name: str, request_type: str, window: OnlyWindow = None) -> None:
        """Drop the profile's limits on one request type (one window, or all)."""
        shown = _set_type_limits(name, request_type, window, None, None)
        console.print(f"profile {name}, type {request_type}: {shown}")

    return profiles


def make_grants_cli(open_runtime: OpenRuntime) -> typer.Typer:
    grants = typer.Typer(help="Grant request types to users, with their own limits.")

    @grants.command("list")
    def list_grants(username: str) -> None:
        """The user's grants, revoked ones included, with their limits."""

        async def work(uow: UnitOfWork) -> list[tuple[str, ...]]:
            user = await get_user_by_username(session=uow.session, username=username)
            found = await service.list_grants(session=uow.session, user=user)
            return [
                (g.request_type, _limits_text(g.limits), "revoked" if g.revoked_at else "")
                for g in found
            ]

        table = Table("request type", "limits soft/hard", "")
        for row in run_in_unit_of_work(open_runtime, work):
            table.add_row(*row)
        Console().print(table)

    def _grant(
        username: str, request_type: str, window: str | None, hard: int | None, soft: int | None
    ) -> str:
        async def work(uow: UnitOfWork) -> str:
            user = await get_user_by_username(session=uow.session, username=username)
            active = [
                g
                for g in await service.list_grants(session=uow.session, user=user)
                if g.request_type == request_type and g.revoked_at is None
            ]
            if not active and hard is None:
                raise NotFound(
                    f"no active grant of {request_type!r} to {username}", code="not_found.grant"
                )
            limits = dict(active[0].limits) if active else {}
            windows = [window] if window is not None else list(limits)
            for each in windows:
                limits = _with_window(limits, each, hard, soft)
            try:
                data = GrantCreate(request_type=request_type, limits=limits)
            except ValidationError as exc:
                refuse_input(exc)
            grant = await service.grant_request_type(
                session=uow.session,
                user=user,
                name=data.request_type,
                actor=cli_actor(),
                limits=data.limits,
            )
            return _limits_text(grant.limits)

        return run_in_unit_of_work(open_runtime, work)

    @grants.command("set-limit")
    def set_limit(
        username: str,
        request_type: str,
        window: WindowArgument,
        hard: HardArgument,
        soft: SoftOption = None,
    ) -> None:
        """Limit one user's submissions of a granted type (granting it if need be)."""
        shown = _grant(username, request_type, window, hard, soft)
        console.print(f"{username}, type {request_type}: {shown}")

    @grants.command("unset-limit")
    def unset_limit(username: str, request_type: str, window: OnlyWindow = None) -> None:
        """Drop a grant's own limits (one window, or all); the grant stays."""
        shown = _grant(username, request_type, window, None, None)
        console.print(f"{username}, type {request_type}: {shown}")

    return grants
