"""`airlock transfer ...`: check, look into and unpack batch files by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shared.transfer.bag import BatchLimits
from shared.transfer.encryption import load_age_identity
from shared.transfer.errors import BatchRejected
from shared.transfer.offline import inspect_batch, unpack_batch
from shared.transfer.reader import verify_batch
from shared.transfer.signing import key_fingerprint, load_public_key

transfer_app = typer.Typer(help="Verify, inspect and unpack batch files.", no_args_is_help=True)
console = Console()

BatchFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, help="A batch file (.tar, .tar.age).")
]
AgeIdentity = Annotated[
    Path | None,
    typer.Option("--age-identity", exists=True, dir_okay=False, help="age identity file."),
]


@transfer_app.command()
def verify(
    file: BatchFile,
    peer_key: Annotated[
        Path,
        typer.Option("--peer-key", exists=True, dir_okay=False, help="The sender's public key."),
    ],
    source: Annotated[str, typer.Option("--source", help="The network that must have sent it.")],
    age_identity: AgeIdentity = None,
    stream: Annotated[str | None, typer.Option("--stream", help="Expected stream.")] = None,
) -> None:
    """Run every check a network runs before applying a batch; exit 1 if any fails."""
    try:
        key = load_public_key(peer_key)
        identity = load_age_identity(age_identity) if age_identity else None
    except ValueError as error:
        console.print(f"unusable key: {error}")
        raise typer.Exit(2) from None
    try:
        header = verify_batch(
            file,
            verify_key=key,
            expected_source=source,
            expected_stream=stream,
            limits=BatchLimits(),
            age_identity=identity,
        )
    except BatchRejected as rejected:
        console.print(f"rejected {rejected.code} ({rejected.check}): {rejected.detail}")
        raise typer.Exit(1) from None
    console.print(
        f"ok {file.name}: {header.stream} #{header.sequence} from {header.source_network}, "
        f"{header.record_count} records, signed by {key_fingerprint(key)}"
    )


@transfer_app.command()
def inspect(file: BatchFile, age_identity: AgeIdentity = None) -> None:
    """Show what a batch says about itself, without checking its signature."""
    try:
        summary = inspect_batch(
            file, age_identity=load_age_identity(age_identity) if age_identity else None
        )
    except BatchRejected as rejected:
        console.print(f"unreadable {rejected.code} ({rejected.check}): {rejected.detail}")
        raise typer.Exit(1) from None
    info = Table("Field", "Value", title=f"{summary.name} (signature not checked)")
    for label, value in summary.bag_info:
        info.add_row(label, value)
    members = Table("Member", "Bytes", title="Members in tar order")
    for name, size in summary.members:
        members.add_row(name, str(size))
    console.print(info)
    console.print(members)
    console.print(
        f"payload: {summary.payload_lines} lines, {summary.payload_bytes} bytes; "
        f"encrypted: {'yes' if summary.encrypted else 'no'}, "
        f"compressed: {'yes' if summary.compressed else 'no'}"
    )


@transfer_app.command()
def unpack(
    file: BatchFile,
    directory: Annotated[Path, typer.Argument(file_okay=False, help="Where to put the bag.")],
    age_identity: AgeIdentity = None,
) -> None:
    """Write the batch as a plain BagIt bag any BagIt tool can validate."""
    try:
        bag = unpack_batch(
            file, directory, age_identity=load_age_identity(age_identity) if age_identity else None
        )
    except BatchRejected as rejected:
        console.print(f"unreadable {rejected.code} ({rejected.check}): {rejected.detail}")
        raise typer.Exit(1) from None
    except FileExistsError as error:
        console.print(f"{error.args[0]} exists already")
        raise typer.Exit(1) from None
    console.print(f"unpacked to {bag}")
