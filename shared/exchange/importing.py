"""Import: verify a batch while streaming it and apply it in one transaction, or refuse it.

Records are applied chunk by chunk as the reader verifies them; the checksums and counts are
only known at the end of the payload, so any failure raises before the transaction commits
and nothing of the batch stays. A refused batch moves to `quarantine/` with its reason.
The file is read in worker threads, the database is used on the event loop, and whatever a
file makes the reading raise refuses that file only: the other batches keep flowing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.locks import Hold, LockLost
from core.memory import bulk_allocations
from shared.exchange.acks import ResendRequest, apply_incoming_acks, note_received
from shared.exchange.context import TransferContext
from shared.exchange.export import resend
from shared.exchange.files import (
    is_in_flight,
    pending_files,
    prune_older_than,
    quarantine,
    set_aside_processed,
    sweep_stale_temporaries,
)
from shared.streams import ApplyOutcome, InboundStream
from shared.transfer import BatchHeader, BatchReader, BatchRejected, open_batch
from shared.transfer.bag import parse_batch_name

log = structlog.get_logger(__name__)
T = TypeVar("T")


class ImportStatus(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    SKIPPED = "skipped"
    FAILED = "failed"
    """Not the batch's fault (the database, say): the file stays for the next run."""


@dataclass
class ImportResult:
    file: str
    status: ImportStatus
    stream: str | None = None
    sequence: int | None = None
    applied: int = 0
    unknown: list[str] = field(default_factory=list)
    code: str | None = None


_END = object()


def _chunks(records: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    yield chunk


async def _apply_records(
    session: AsyncSession, ctx: TransferContext, spec: InboundStream, records: Iterator[Any]
) -> ApplyOutcome:
    """Parse in a thread (CPU and file I/O), apply on the loop, one chunk at a time. The
    next chunk parses while the database applies this one: the loop mostly waits on the
    socket then, and parsing alone took as long as the applying."""
    outcome = ApplyOutcome()
    chunks = _chunks(records, ctx.chunk_size)
    with bulk_allocations():
        reading = asyncio.ensure_future(_read(next, chunks, _END))
        try:
            while (chunk := await reading) is not _END:
                assert isinstance(chunk, list)
                reading = asyncio.ensure_future(_read(next, chunks, _END))
                if chunk:
                    outcome.merge(await spec.apply(session, chunk))
        finally:
            # A read ahead the apply left behind: the batch closes next, never while a thread
            # is inside it. Its outcome is dropped, what stopped the apply is the news.
            await asyncio.wait([reading])
            if not reading.cancelled():
                reading.exception()
    return outcome


async def _read(step: Callable[..., T], *args: Any) -> T:
    """Run one step of reading a batch in a worker thread, so the event loop keeps serving
    while a big or hostile file is read. Whatever the step raises is the file's doing
    (MemoryError, RecursionError, a library's own error): it refuses the batch."""
    try:
        return await asyncio.to_thread(step, *args)
    except (BatchRejected, FileNotFoundError):
        raise
    except Exception as error:
        log.warning("batch_unreadable", error=type(error).__name__, exc_info=True)
        raise BatchRejected(
            "batch.unreadable", f"reading the batch raised {type(error).__name__}", check="read"
        ) from None


@asynccontextmanager
async def _opened(
    ctx: TransferContext, path: Path, stream: str, verify_key: Ed25519PublicKey
) -> AsyncIterator[BatchReader]:
    """`open_batch` with its verification and clean-up in worker threads (see `_read`)."""
    stack = ExitStack()
    try:
        yield await _read(
            stack.enter_context,
            open_batch(
                path,
                verify_key=verify_key,
                expected_source=ctx.peer,
                expected_stream=stream,
                limits=ctx.limits,
                age_identity=ctx.keys.age_identity,
                schema_versions=(ctx.schema_version,),
            ),
        )
    finally:
        await asyncio.to_thread(stack.close)


async def _already_applied(
    session: AsyncSession, ctx: TransferContext, header: BatchHeader
) -> bool:
    inbox = ctx.ledger.inbox
    existing = (
        await session.execute(
            select(inbox.id).where(
                inbox.source == header.source_network,
                inbox.stream == header.stream,
                inbox.sequence == header.sequence,
            )
        )
    ).scalar_one_or_none()
    if existing is None:
        return False
    if str(existing).replace("-", "") != str(header.batch_id).replace("-", ""):
        raise BatchRejected(
            "batch.conflict",
            f"sequence {header.sequence} of {header.stream} was already applied "
            "from a different batch",
            check="ledger",
        )
    return True


async def import_file(ctx: TransferContext, path: Path) -> ImportResult:
    """Import one batch file from the inbox, under its stream's lock; never raises. A bad
    batch is quarantined; any other failure is logged and leaves the file for the next run
    (`FAILED`), so one file never stops the others."""
    stream = await _inbound_stream(ctx, path)
    if isinstance(stream, ImportResult):
        return stream
    async with ctx.locks.hold(f"import-{stream}") as hold:
        if not hold:
            _note_busy(ctx, stream)
            return ImportResult(path.name, ImportStatus.SKIPPED, stream)
        try:
            return await _import_held(ctx, path, stream, hold)
        except LockLost:
            return ImportResult(path.name, ImportStatus.FAILED, stream)


async def _inbound_stream(ctx: TransferContext, path: Path) -> str | ImportResult:
    """The inbound stream `path` belongs to; a file that belongs to none is skipped while
    in flight, else refused, and what became of it is returned instead."""
    name = parse_batch_name(path.name)
    if is_in_flight(path.name):
        return ImportResult(path.name, ImportStatus.SKIPPED)
    if name is None:
        return await _refuse(
            ctx, path, None, BatchRejected("batch.format", "not a batch file name", check="name")
        )
    if name.stream not in ctx.streams.inbound:
        return await _refuse(
            ctx,
            path,
            name.stream,
            BatchRejected(
                "batch.stream", f"no inbound stream {name.stream!r} here", check="stream"
            ),
        )
    return name.stream


def _note_busy(ctx: TransferContext, stream: str) -> None:
    log.info("import_stream_busy", stream=stream)
    if ctx.metrics is not None:
        ctx.metrics.import_busy.labels(stream).inc()


async def _import_held(ctx: TransferContext, path: Path, stream: str, hold: Hold) -> ImportResult:
    """Import one file of `stream` under its lock; `LockLost` passes (the stream must stop),
    any other failure leaves the file for the next run."""
    try:
        if not path.exists():  # noqa: ASYNC240 - one stat; another importer took it meanwhile
            return ImportResult(path.name, ImportStatus.SKIPPED, stream)
        return await _import_locked(ctx, path, stream, hold)
    except LockLost:
        log.error("import_lock_lost", stream=stream, file=path.name)
        raise
    except Exception:
        log.exception("batch_import_failed", file=path.name)
        return ImportResult(path.name, ImportStatus.FAILED, stream)


async def import_stream(ctx: TransferContext, stream: str) -> list[ImportResult]:
    """Import the waiting batches of `stream` in sequence order, one holder per stream: a
    second importer skips the stream rather than take its files out of order (which would
    open gaps the peer answers with resends). Files that arrive meanwhile are taken too."""
    results: list[ImportResult] = []
    async with ctx.locks.hold(f"import-{stream}") as hold:
        if not hold:
            _note_busy(ctx, stream)
            return results
        tried: set[str] = set()
        while waiting := [
            path
            for path in await asyncio.to_thread(pending_files, ctx.inbox_dir, stream)
            if path.name not in tried
        ]:
            for path in waiting:
                tried.add(path.name)
                try:
                    results.append(await _import_held(ctx, path, stream, hold))
                except LockLost:
                    results.append(ImportResult(path.name, ImportStatus.FAILED, stream))
                    return results
    return results


async def _import_locked(ctx: TransferContext, path: Path, stream: str, hold: Hold) -> ImportResult:
    spec = ctx.streams.inbound[stream]
    if ctx.keys.peer_verify_key is None:
        log.warning("import_skipped_no_peer_key", file=path.name)
        return ImportResult(path.name, ImportStatus.SKIPPED, stream)
    resend_due: list[ResendRequest] = []
    duplicate = False
    try:
        async with _opened(ctx, path, stream, ctx.keys.peer_verify_key) as reader:
            header = reader.header
            async with ctx.unit_of_work() as uow:
                session = uow.session
                duplicate = await _already_applied(session, ctx, header)
                outcome = ApplyOutcome()
                if not duplicate:
                    outcome = await _apply_records(session, ctx, spec, reader.records(spec.decoder))
                    await note_received(session, ctx, stream, header.sequence)
                    session.add(
                        ctx.ledger.inbox(
                            id=uuid.UUID(str(header.batch_id)),
                            source=header.source_network,
                            stream=stream,
                            sequence=header.sequence,
                            file_name=path.name,
                            sha256=header.payload_sha256,
                            record_count=header.record_count,
                            applied_count=outcome.applied,
                            created_at=header.created_at,
                            applied_at=utcnow(),
                        )
                    )
                    await ctx.record_audit(
                        session,
                        action="transfer.batch_imported",
                        object_type="batch",
                        object_id=f"{stream}/{header.sequence}",
                        result="ok",
                        details={
                            "file": path.name,
                            "stream": stream,
                            "sequence": header.sequence,
                            "records": header.record_count,
                            "applied": outcome.applied,
                            "unknown": outcome.unknown[:100],
                        },
                    )
                resend_due = await apply_incoming_acks(session, ctx, header.acks)
                # Before the commit: a holder that lost its lock leaves the batch to the next.
                await hold.ensure()
    except BatchRejected as rejected:
        return await _refuse(ctx, path, stream, rejected)
    except FileNotFoundError:  # taken out of the inbox by hand meanwhile
        return ImportResult(path.name, ImportStatus.SKIPPED, stream)
    except (IntegrityError, DataError) as error:
        # The batch verified but its data does not fit: refuse it, never half-apply.
        return await _refuse(
            ctx,
            path,
            stream,
            BatchRejected(
                "batch.apply",
                f"records could not be applied: {type(error.orig).__name__}",
                check="apply",
            ),
        )
    except StatementError as error:  # pragma: no cover - wrapped driver errors
        if isinstance(error.orig, (ValueError, TypeError)):
            return await _refuse(
                ctx,
                path,
                stream,
                BatchRejected("batch.apply", "records could not be applied", check="apply"),
            )
        raise
    await asyncio.to_thread(set_aside_processed, path, ctx.processed_dir)
    if resend_due:
        await resend(ctx, [(r.stream, r.sequence) for r in resend_due])
    if ctx.metrics is not None:
        if duplicate:
            ctx.metrics.duplicates.labels(stream).inc()
        else:
            ctx.metrics.imported.labels(stream).inc()
            ctx.metrics.records_applied.labels(stream).inc(outcome.applied)
            lag = (utcnow() - header.created_at).total_seconds()
            ctx.metrics.lag.labels(stream).set(max(0.0, lag))
    status = ImportStatus.DUPLICATE if duplicate else ImportStatus.APPLIED
    log.info(
        "batch_imported",
        stream=stream,
        sequence=header.sequence,
        status=status,
        records=header.record_count,
        applied=outcome.applied,
    )
    return ImportResult(
        path.name, status, stream, header.sequence, outcome.applied, outcome.unknown
    )


async def _refuse(
    ctx: TransferContext, path: Path, stream: str | None, rejected: BatchRejected
) -> ImportResult:
    target = await asyncio.to_thread(
        quarantine,
        path,
        ctx.quarantine_dir,
        code=rejected.code,
        detail=rejected.detail,
        check=rejected.check or "",
    )
    log.warning("batch_quarantined", file=path.name, code=rejected.code, check=rejected.check)
    if ctx.metrics is not None:
        ctx.metrics.quarantined.labels(stream or "unknown", rejected.code).inc()
    async with ctx.unit_of_work() as uow:
        await ctx.record_audit(
            uow.session,
            action="transfer.batch_quarantined",
            object_type="batch",
            object_id=target.name,
            result="refused",
            details={
                "file": target.name,
                "code": rejected.code,
                "check": rejected.check,
                "detail": rejected.detail,
            },
        )
    return ImportResult(path.name, ImportStatus.QUARANTINED, stream, code=rejected.code)


async def import_pending(ctx: TransferContext) -> list[ImportResult]:
    """Import every batch waiting in the inbox, stream by stream (see `import_stream`); a
    file that belongs to no inbound stream is refused on its own."""
    ctx.ensure_dirs()
    results: list[ImportResult] = []
    streams: list[str] = []
    for path in await asyncio.to_thread(pending_files, ctx.inbox_dir):
        stream = await _inbound_stream(ctx, path)
        if isinstance(stream, ImportResult):
            results.append(stream)
        elif stream not in streams:
            streams.append(stream)
    for stream in streams:
        results += await import_stream(ctx, stream)
    return results


async def sweep_temporaries(ctx: TransferContext) -> int:
    """Delete the hidden temporaries killed writers left in our directories (older than
    `stale_temporary_after`); a writer at work is left alone."""
    swept = await asyncio.to_thread(
        sweep_stale_temporaries, ctx.own_dirs, ctx.stale_temporary_after
    )
    for path in swept:
        log.warning("stale_temporary_removed", file=str(path))
    return len(swept)


async def prune_processed(ctx: TransferContext) -> int:
    """Delete imported batches from `processed/` once `processed_retention` has passed."""
    return await asyncio.to_thread(prune_older_than, ctx.processed_dir, ctx.processed_retention)
