"""Import: verify a batch while streaming it and apply it in one transaction, or refuse it.

Records are applied chunk by chunk as the reader verifies them; the checksums and counts are
only known at the end of the payload, so any failure raises before the transaction commits
and nothing of the batch stays. A refused batch moves to `quarantine/` with its reason.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.memory import bulk_allocations
from shared.exchange.acks import ResendRequest, apply_incoming_acks, note_received
from shared.exchange.context import TransferContext
from shared.exchange.export import resend
from shared.exchange.files import is_in_flight, pending_files, place, quarantine
from shared.streams import ApplyOutcome, InboundStream
from shared.transfer import BatchHeader, BatchRejected, open_batch
from shared.transfer.bag import parse_batch_name

log = structlog.get_logger(__name__)


class ImportStatus(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    SKIPPED = "skipped"


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
    """Parse in a thread (CPU and file I/O), apply on the loop, one chunk at a time."""
    outcome = ApplyOutcome()
    chunks = _chunks(records, ctx.chunk_size)
    with bulk_allocations():
        while (chunk := await asyncio.to_thread(next, chunks, _END)) is not _END:
            assert isinstance(chunk, list)
            if chunk:
                outcome.merge(await spec.apply(session, chunk))
    return outcome


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
    """Import one batch file from the inbox; never raises for a bad batch."""
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
    async with ctx.locks.hold(f"import-{name.stream}") as held:
        if not held:
            return ImportResult(path.name, ImportStatus.SKIPPED, name.stream)
        if not path.exists():  # noqa: ASYNC240 - one stat; another importer took it meanwhile
            return ImportResult(path.name, ImportStatus.SKIPPED, name.stream)
        return await _import_locked(ctx, path, name.stream)


async def _import_locked(ctx: TransferContext, path: Path, stream: str) -> ImportResult:
    spec = ctx.streams.inbound[stream]
    resend_due: list[ResendRequest] = []
    duplicate = False
    try:
        if ctx.keys.peer_verify_key is None:
            log.warning("import_skipped_no_peer_key", file=path.name)
            return ImportResult(path.name, ImportStatus.SKIPPED, stream)
        with open_batch(
            path,
            verify_key=ctx.keys.peer_verify_key,
            expected_source=ctx.peer,
            expected_stream=stream,
            limits=ctx.limits,
            age_identity=ctx.keys.age_identity,
        ) as reader:
            header = reader.header
            async with ctx.unit_of_work() as uow:
                session = uow.session
                duplicate = await _already_applied(session, ctx, header)
                outcome = ApplyOutcome()
                if not duplicate:
                    outcome = await _apply_records(session, ctx, spec, reader.records(spec.schema))
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
    except BatchRejected as rejected:
        return await _refuse(ctx, path, stream, rejected)
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
    place(path, ctx.processed_dir, keep_source=False)
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
    target = quarantine(
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
    ctx.ensure_dirs()
    return [await import_file(ctx, path) for path in pending_files(ctx.inbox_dir)]
