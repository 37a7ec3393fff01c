"""Export: turn pending changes into signed batches, write the ledger, then publish.

Order matters for "nothing lost, nothing half-seen": the batch is written into `sent/` (the
kept copy, invisible to the peer), the ledger row and the change-log marks commit in one
transaction, and only then is the file linked into `outbox/`. A crash before the commit
leaves an orphan in `sent/` that reconciliation removes; a crash after it leaves a ledger
row with no `published_at`, which the next run publishes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.locks import Hold
from shared.exchange.acks import outgoing_acks
from shared.exchange.context import TransferContext
from shared.exchange.files import place
from shared.streams import CONTROL_STREAM
from shared.transfer import BatchInfo, write_batches

log = structlog.get_logger(__name__)

_ID_CHUNK = 10_000
"""Bound parameters per statement stay far below the drivers' limits (32767 for asyncpg)."""


@dataclass(frozen=True)
class ExportResult:
    stream: str
    batches: list[BatchInfo]

    @property
    def records(self) -> int:
        return sum(batch.record_count for batch in self.batches)


async def _next_sequence(session: AsyncSession, ctx: TransferContext, stream: str) -> int:
    outbox = ctx.ledger.outbox
    current = await session.execute(
        select(func.max(outbox.sequence)).where(outbox.stream == stream)
    )
    return int(current.scalar() or 0) + 1


async def publish_pending(ctx: TransferContext) -> int:
    """Link every committed but unpublished batch into `outbox/`."""
    outbox = ctx.ledger.outbox
    async with ctx.unit_of_work() as uow:
        rows = list(
            (
                await uow.session.execute(
                    select(outbox).where(outbox.published_at.is_(None)).order_by(outbox.sequence)
                )
            ).scalars()
        )
        for row in rows:
            source = ctx.sent_dir / row.file_name
            if source.exists():
                place(source, ctx.outbox_dir, keep_source=True)
                row.published_at = utcnow()
            else:
                log.error("kept_copy_missing", stream=row.stream, sequence=row.sequence)
    return len(rows)


async def _write_one_round(
    ctx: TransferContext, stream: str, *, heartbeat: bool, hold: Hold
) -> tuple[list[BatchInfo], int]:
    change_log, outbox = ctx.ledger.change_log, ctx.ledger.outbox
    spec = ctx.streams.outbound[stream]
    limit = ctx.limits.max_records
    async with ctx.unit_of_work() as uow:
        session = uow.session
        pending = list(
            (
                await session.execute(
                    select(change_log.id, change_log.record_type, change_log.record_id)
                    .where(change_log.stream == stream, change_log.batch_id.is_(None))
                    .order_by(change_log.id)
                    .limit(limit)
                )
            ).all()
        )
        if not pending and not heartbeat:
            return [], 0
        refs = list(dict.fromkeys((str(kind), record_id) for _, kind, record_id in pending))
        records = await spec.load(session, refs)
        acks = await outgoing_acks(session, ctx)
        first = await _next_sequence(session, ctx, stream)
        assert ctx.keys.signing_key is not None
        infos = await asyncio.to_thread(
            write_batches,
            records,
            stream=stream,
            source_network=ctx.network,
            directory=ctx.sent_dir,
            signing_key=ctx.keys.signing_key,
            first_sequence=first,
            limits=ctx.limits,
            acks=acks,
            age_recipient=ctx.keys.peer_age_recipient,
            schema_version=ctx.schema_version,
            file_mode=ctx.file_mode,
            clock=ctx.clock,
        )
        for info in infos:
            session.add(
                outbox(
                    id=uuid.UUID(str(info.batch_id)),
                    stream=stream,
                    sequence=info.sequence,
                    file_name=info.path.name,
                    sha256=info.file_sha256,
                    record_count=info.record_count,
                    byte_count=info.file_bytes,
                    created_at=info.created_at,
                    # Without acknowledgements the retention window alone governs the copy.
                    acked_at=None,
                )
            )
        taken_ids = [row[0] for row in pending]
        for start in range(0, len(taken_ids), _ID_CHUNK):
            await session.execute(
                update(change_log)
                .where(change_log.id.in_(taken_ids[start : start + _ID_CHUNK]))
                .values(batch_id=uuid.UUID(str(infos[0].batch_id)))
            )
        # Another exporter may have the stream now: its sequence numbers would clash.
        await hold.ensure()
    return infos, len(pending)


EXPORT_LOCK_WAIT_SECONDS = 10.0


async def export_stream(
    ctx: TransferContext, stream: str, *, heartbeat: bool = False
) -> ExportResult:
    """Export everything pending on `stream`; with `heartbeat`, emit a batch even if empty."""
    if ctx.keys.signing_key is None:
        log.warning("export_skipped_no_signing_key", stream=stream)
        return ExportResult(stream, [])
    ctx.ensure_dirs()
    written: list[BatchInfo] = []
    # Wait for a running export rather than skip: it may have read the change log before
    # the commit that enqueued us, and those changes would wait for the next schedule.
    async with ctx.locks.hold(f"export-{stream}", wait=EXPORT_LOCK_WAIT_SECONDS) as hold:
        if not hold:
            log.info("export_already_running", stream=stream)
            return ExportResult(stream, [])
        await publish_pending(ctx)
        while True:
            infos, taken = await _write_one_round(
                ctx, stream, heartbeat=heartbeat and not written, hold=hold
            )
            if not infos:
                break
            written.extend(infos)
            await publish_pending(ctx)
            if ctx.metrics is not None:
                ctx.metrics.exported.labels(stream).inc(len(infos))
            if taken < ctx.limits.max_records:
                break
    if written:
        log.info(
            "batches_exported",
            stream=stream,
            batches=len(written),
            records=sum(i.record_count for i in written),
        )
    return ExportResult(stream, written)


async def export_all(ctx: TransferContext) -> list[ExportResult]:
    return [
        await export_stream(ctx, stream)
        for stream in ctx.streams.outbound
        if stream != CONTROL_STREAM
    ]


async def send_heartbeat_if_quiet(ctx: TransferContext) -> ExportResult | None:
    """Emit an empty control batch when nothing left for `heartbeat_every`, so acks flow."""
    outbox = ctx.ledger.outbox
    async with ctx.unit_of_work() as uow:
        latest = (await uow.session.execute(select(func.max(outbox.created_at)))).scalar()
    if latest is not None and latest > utcnow() - ctx.heartbeat_every:
        return None
    return await export_stream(ctx, CONTROL_STREAM, heartbeat=True)


async def resend(ctx: TransferContext, requests: Sequence[tuple[str, int]]) -> int:
    """Put kept copies back into `outbox/`, byte for byte, for sequences the peer lacks."""
    outbox = ctx.ledger.outbox
    resent = 0
    async with ctx.unit_of_work() as uow:
        for stream, sequence in requests:
            row = (
                await uow.session.execute(
                    select(outbox).where(outbox.stream == stream, outbox.sequence == sequence)
                )
            ).scalar_one_or_none()
            if row is None:
                continue
            source = ctx.sent_dir / row.file_name
            if not source.exists():
                log.error("resend_impossible_copy_deleted", stream=stream, sequence=sequence)
                continue
            place(source, ctx.outbox_dir, keep_source=True)
            row.resent_count += 1
            row.last_resent_at = utcnow()
            resent += 1
            if ctx.metrics is not None:
                ctx.metrics.resent.labels(stream).inc()
    if resent:
        log.info("batches_resent", count=resent)
    return resent


async def prune_kept_copies(ctx: TransferContext) -> int:
    """Delete kept copies once acknowledged (or, one-way, once older than the retention)."""
    outbox = ctx.ledger.outbox
    cutoff = utcnow() - ctx.retention
    condition = (
        outbox.acked_at.is_not(None) & (outbox.acked_at < cutoff)
        if ctx.acks_enabled
        else outbox.created_at < cutoff
    )
    pruned = 0
    async with ctx.unit_of_work() as uow:
        rows = (
            await uow.session.execute(
                select(outbox).where(condition, outbox.copy_deleted_at.is_(None))
            )
        ).scalars()
        for row in rows:
            (ctx.sent_dir / row.file_name).unlink(missing_ok=True)
            row.copy_deleted_at = utcnow()
            pruned += 1
    return pruned
