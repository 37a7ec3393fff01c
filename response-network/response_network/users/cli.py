"""`airlock-response users ...`: account administration at a terminal, through the services."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from core.audit import Actor
from core.db import UnitOfWork
from core.errors import AirlockError
from core.process import fail
from core.runtime import Runtime
from core.security import generate_password
from response_network.users import service
from response_network.users.models import Role
from response_network.users.schemas import UserCreate, UserUpdate

OpenRuntime = Callable[[], AbstractAsyncContextManager[Runtime[Any]]]
ResultT = TypeVar("ResultT")

console = Console(stderr=True)


def cli_actor() -> Actor:
    """The audit trail names the operating-system account that ran the command."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(id=None, name=f"cli:{who}")


def run_in_unit_of_work(
    open_runtime: OpenRuntime, work: Callable[[UnitOfWork], Awaitable[ResultT]]
) -> ResultT:
    """Run `work` in one transaction; a domain error exits with its message, nothing written."""

    async def main() -> ResultT:
        async with open_runtime() as runtime, runtime.unit_of_work() as uow:
            return await work(uow)

    try:
        return asyncio.run(main())
    except AirlockError as exc:
        fail(f"{exc.detail} ({exc.code})", code=1)


def refuse_input(exc: ValidationError) -> NoReturn:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "input"
    fail(f"invalid {where}: {error['msg']}")


def ask_password(generate: bool) -> tuple[str, bool]:
    """The password to set, and whether it was generated (then it must be shown once)."""
    if generate:
        return generate_password(), True
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password, False


def make_users_cli(open_runtime: OpenRuntime) -> typer.Typer:
    users = typer.Typer(help="Create, list, deactivate users; reset passwords.")

    @users.command("create")
    def create(
        username: str,
        email: Annotated[str, typer.Option(help="Unique email address")],
        role: Annotated[Role, typer.Option(help="admin, operator or user")] = Role.USER,
        display_name: Annotated[str, typer.Option(help="Name shown in the UI")] = "",
        generate_password: Annotated[
            bool, typer.Option("--generate-password", help="Generate one and print it once")
        ] = False,
    ) -> None:
        """Create a user (asks for the password unless --generate-password)."""
        password, generated = ask_password(generate_password)
        try:
            data = UserCreate(
                username=username,
                email=email,
                role=role,
                display_name=display_name,
                password=password,
            )
        except ValidationError as exc:
            refuse_input(exc)

        async def work(uow: UnitOfWork) -> str:
            user = await service.create_user(session=uow.session, data=data, actor=cli_actor())
            return str(user.id)

        user_id = run_in_unit_of_work(open_runtime, work)
        console.print(f"created user [bold]{data.username}[/] ({data.role.value}) id {user_id}")
        if generated:
            console.print("password (shown once):")
            typer.echo(password)

    @users.command("list")
    def list_users(
        role: Annotated[Role | None, typer.Option(help="Only this role")] = None,
        active: Annotated[
            bool | None, typer.Option("--active/--inactive", help="Only (in)active users")
        ] = None,
        text: Annotated[str | None, typer.Option("--q", help="Text in name or email")] = None,
        limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    ) -> None:
        """List users in username order."""

        async def work(uow: UnitOfWork) -> list[tuple[str, ...]]:
            found, _next = await service.list_users(
                session=uow.session,
                filters=service.UserFilters(role=role, active=active, text=text),
                limit=limit,
            )
            return [
                (u.username, u.email, u.role.value, "yes" if u.active else "no", str(u.id))
                for u in found
            ]

        table = Table("username", "email", "role", "active", "id")
        for row in run_in_unit_of_work(open_runtime, work):
            table.add_row(*row)
        Console().print(table)

    @users.command("deactivate")
    def deactivate(username: str) -> None:
        """Deactivate a user: they can no longer log in; the account and history stay."""

        async def work(uow: UnitOfWork) -> bool:
            user = await service.get_user_by_username(session=uow.session, username=username)
            return await service.deactivate_user(session=uow.session, user=user, actor=cli_actor())

        changed = run_in_unit_of_work(open_runtime, work)
        console.print(f"deactivated {username}" if changed else f"{username} was already inactive")

    @users.command("reset-password")
    def reset_password(
        username: str,
        generate_password: Annotated[
            bool, typer.Option("--generate-password", help="Generate one and print it once")
        ] = False,
    ) -> None:
        """Set a new password for a user."""
        password, generated = ask_password(generate_password)

        async def work(uow: UnitOfWork) -> None:
            user = await service.get_user_by_username(session=uow.session, username=username)
            await service.reset_password(
                session=uow.session, user=user, password=password, actor=cli_actor()
            )

        run_in_unit_of_work(open_runtime, work)
        console.print(f"password of {username} reset")
        if generated:
            console.print("password (shown once):")
            typer.echo(password)

    @users.command("request-network-login")
    def request_network_login(
        username: str,
        allow: Annotated[
            bool, typer.Option("--on/--off", help="Let the password hash cross, or stop it")
        ],
    ) -> None:
        """Let an admin or operator log in on the request network with a password, or stop it.

        Off, the next sync clears the replica's copy of the hash (plain users always cross).
        """

        async def work(uow: UnitOfWork) -> None:
            user = await service.get_user_by_username(session=uow.session, username=username)
            await service.update_user(
                session=uow.session,
                user=user,
                data=UserUpdate(request_network_login=allow),
                actor=cli_actor(),
            )

        run_in_unit_of_work(open_runtime, work)
        console.print(f"request network login of {username}: {'on' if allow else 'off'}")

    return users
