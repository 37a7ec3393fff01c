"""`airlock-<network> transfer ...` and `keys ...`: the same commands for both networks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from shared.exchange.context import TransferContext
from shared.exchange.export import export_all
from shared.exchange.files import pending_files
from shared.exchange.files import requeue as requeue_file
from shared.exchange.importing import import_file
from shared.exchange.keys import generate_keys, public_key_path
from shared.exchange.reconcile import reconcile
from shared.exchange.settings import TransferNetworkSettings
from shared.exchange.status import transfer_status

ContextOpener = Callable[[], AbstractAsyncContextManager[TransferContext]]
console = Console()


def make_transfer_cli(open_context: ContextOpener) -> typer.Typer:
    """`open_context` yields the network's TransferContext and closes its runtime after."""
    cli = typer.Typer(help="Inspect and repair the transfer.", no_args_is_help=True)

    @cli.command()
    def status() -> None:
        """Streams sent and received, gaps, waiting and quarantined batches."""

        async def show() -> None:
            async with open_context() as ctx, ctx.unit_of_work() as uow:
                state = await transfer_status(session=uow.session, ctx=ctx)
            table = Table(title=f"{state.network} -> {state.peer}")
            for column in ("direction", "stream", "last seq", "acked", "pending/gaps", "lag s"):
                table.add_column(column)
            for out in state.outbound:
                table.add_row(
                    "out",
                    out.stream,
                    str(out.last_sequence),
                    str(out.acked_through),
                    str(out.unacknowledged),
                    "",
                )
            for inbound in state.inbound:
                table.add_row(
                    "in",
                    inbound.stream,
                    str(inbound.last_sequence),
                    str(inbound.acked_through),
                    ",".join(map(str, inbound.open_gaps)) or "-",
                    f"{inbound.lag_seconds:.1f}" if inbound.lag_seconds is not None else "",
                )
            console.print(table)
            console.print(f"waiting in inbox: {state.waiting}")
            for reason in state.quarantined:
                console.print(f"[red]quarantined[/] {reason.file}: {reason.code} ({reason.detail})")

        asyncio.run(show())

    @cli.command()
    def requeue(name: str) -> None:
        """Move a quarantined batch back into the inbox."""

        async def run() -> str:
            async with open_context() as ctx:
                return requeue_file(name, ctx.quarantine_dir, ctx.inbox_dir).name

        try:
            console.print(f"requeued as {asyncio.run(run())}")
        except FileNotFoundError:
            console.print(f"[red]no quarantined batch {name}[/]")
            raise typer.Exit(1) from None

    @cli.command()
    def audit(
        fix: Annotated[bool, typer.Option("--fix/--dry-run", help="Repair what is safe")] = False,
    ) -> None:
        """Reconcile the transfer directories with the ledgers (dry run by default)."""

        async def run() -> bool:
            async with open_context() as ctx:
                report = await reconcile(ctx, fix=fix)
            for finding in report.findings:
                mark = "fixed" if finding.fixed else ("fixable" if finding.fixable else "")
                console.print(f"{finding.kind:15} {finding.subject} {mark}")
            if not report.findings:
                console.print("transfer directories and ledgers agree")
            return report.clean

        raise typer.Exit(0 if asyncio.run(run()) else 1)

    @cli.command("run-once")
    def run_once() -> None:
        """Export what is pending, then import what is waiting (what the jobs do)."""

        async def run() -> None:
            async with open_context() as ctx:
                exported = await export_all(ctx)
                ctx.ensure_dirs()
                waiting = pending_files(ctx.inbox_dir)
                with Progress(console=console, transient=True) as progress:
                    task = progress.add_task("importing", total=len(waiting))
                    for path in waiting:
                        await import_file(ctx, path)
                        progress.advance(task)
            console.print(
                f"exported {sum(len(r.batches) for r in exported)} batches, "
                f"imported {len(waiting)} files"
            )

        asyncio.run(run())

    return cli


def make_keys_cli(settings: Callable[[], TransferNetworkSettings]) -> typer.Typer:
    cli = typer.Typer(help="This network's signing keys.", no_args_is_help=True)

    @cli.command()
    def generate(
        overwrite: Annotated[bool, typer.Option(help="Replace an existing key pair")] = False,
    ) -> None:
        """Create this network's Ed25519 key pair and print the public key for the peer."""
        config = settings()
        try:
            path, text = generate_keys(config, overwrite=overwrite)
        except FileExistsError as exists:
            console.print(f"[red]{exists} exists; use --overwrite to replace it[/]")
            raise typer.Exit(1) from None
        console.print(f"public key written to {path}; give it to the peer network:")
        typer.echo(text)

    @cli.command()
    def show() -> None:
        """Print this network's public key."""
        path = public_key_path(settings())
        if not path.exists():
            console.print(f"[red]no key pair yet: run `keys generate`[/] ({path})")
            raise typer.Exit(1)
        typer.echo(path.read_text().strip())

    return cli
