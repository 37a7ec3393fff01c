"""The transfer jobs every network runs; each calls one flow and nothing else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from core.jobs import JobRegistry
from shared.exchange.context import TransferContext
from shared.exchange.export import export_all, prune_kept_copies, send_heartbeat_if_quiet
from shared.exchange.importing import (
    ImportResult,
    ImportStatus,
    import_pending,
    prune_processed,
    sweep_temporaries,
)

# The inbox is watched in-process; polling every second is the fallback (and Celery's way).
IMPORT_EVERY = 1.0
EXPORT_EVERY = 2.0
HEARTBEAT_CHECK_EVERY = 15.0
PRUNE_EVERY = 3600.0


RuntimeT = TypeVar("RuntimeT")
"""The network's runtime: the jobs only hand it to the network's `context`."""

OnImported = Callable[[RuntimeT, Sequence[ImportResult]], Awaitable[None]]
"""Called after an import run that applied at least one batch (e.g. to answer new requests)."""


def register_transfer_jobs(
    registry: JobRegistry,
    context: Callable[[RuntimeT], TransferContext],
    *,
    on_imported: OnImported[RuntimeT] | None = None,
) -> None:
    @registry.job("transfer_export", every=EXPORT_EVERY)
    async def transfer_export(runtime: RuntimeT) -> None:
        await export_all(context(runtime))

    @registry.job("transfer_import", every=IMPORT_EVERY)
    async def transfer_import(runtime: RuntimeT) -> None:
        results = await import_pending(context(runtime))
        applied = [result for result in results if result.status == ImportStatus.APPLIED]
        if applied and on_imported is not None:
            await on_imported(runtime, applied)

    @registry.job("transfer_heartbeat", every=HEARTBEAT_CHECK_EVERY)
    async def transfer_heartbeat(runtime: RuntimeT) -> None:
        await send_heartbeat_if_quiet(context(runtime))

    @registry.job("transfer_prune", every=PRUNE_EVERY)
    async def transfer_prune(runtime: RuntimeT) -> None:
        ctx = context(runtime)
        await prune_kept_copies(ctx)
        await prune_processed(ctx)
        await sweep_temporaries(ctx)

    registry.on_new_files("transfer_import", lambda runtime: context(runtime).inbox_dir)
