"""`airlock-response api-keys ...`: issue and revoke keys at a terminal."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from core.db import UnitOfWork, utcnow
from response_network.api_keys import service
from response_network.api_keys.schemas import ApiKeyCreate
from response_network.users.cli import OpenRuntime, cli_actor, refuse_input, run_in_unit_of_work
from response_network.users.service import get_user_by_username
from shared.scopes import Scope

console = Console(stderr=True)


def make_api_keys_cli(open_runtime: OpenRuntime) -> typer.Typer:
    keys = typer.Typer(help="Create, list and revoke API keys.")

    @keys.command("create")
    def create(
        username: str,
        name: Annotated[str, typer.Option(help="What the key is for")],
        expires_in_days: Annotated[
            int | None, typer.Option(min=1, max=3650, help="Default: never")
        ] = None,
        scope: Annotated[
            list[Scope] | None,
            typer.Option("--scope", help="Repeat for each; default: the role's full reach"),
        ] = None,
    ) -> None:
        """Create a key for USERNAME; its secret is printed once, on stdout."""
        expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
        try:
            data = ApiKeyCreate(name=name, expires_at=expires_at, scopes=scope or None)
        except ValidationError as exc:
            refuse_input(exc)

        async def work(uow: UnitOfWork) -> tuple[str, str]:
            owner = await get_user_by_username(session=uow.session, username=username)
            issued = await service.create_api_key(
                session=uow.session, owner=owner, data=data, actor=cli_actor()
            )
            return str(issued.key.id), issued.secret

        key_id, secret = run_in_unit_of_work(open_runtime, work)
        console.print(f"created API key {key_id} for {username}; the secret (shown once):")
        typer.echo(secret)

    @keys.command("list")
    def list_keys(username: str) -> None:
        """List the keys of USERNAME (never their secrets)."""

        async def work(uow: UnitOfWork) -> list[tuple[str, ...]]:
            owner = await get_user_by_username(session=uow.session, username=username)
            found = await service.list_api_keys(session=uow.session, owner_id=owner.id)
            return [
                (
                    str(k.id),
                    k.name,
                    k.prefix,
                    k.created_at.isoformat(timespec="seconds"),
                    "revoked" if k.revoked_at else "live",
                    " ".join(k.scopes) if k.scopes is not None else "all",
                )
                for k in found
            ]

        table = Table("id", "name", "prefix", "created", "state", "scopes")
        for row in run_in_unit_of_work(open_runtime, work):
            table.add_row(*row)
        Console().print(table)

    @keys.command("revoke")
    def revoke(key_id: uuid.UUID) -> None:
        """Revoke a key for good."""

        async def work(uow: UnitOfWork) -> bool:
            key = await service.get_api_key(session=uow.session, key_id=key_id)
            return await service.revoke_api_key(session=uow.session, key=key, actor=cli_actor())

        changed = run_in_unit_of_work(open_runtime, work)
        console.print(f"revoked {key_id}" if changed else f"{key_id} was already revoked")

    return keys
