"""The batches an operator looks through: recent ones each way (in keyset pages), the gaps of
the inbound streams, traffic per hour, and putting a quarantined batch back in the inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor
from core.db import utcnow
from core.errors import NotFound
from core.pagination import decode_cursor, encode_cursor
from shared.exchange.context import TransferContext
from shared.exchange.files import requeue

Direction = Literal["out", "in"]


@dataclass(frozen=True)
class BatchRow:
    stream: str
    sequence: int
    file_name: str
    record_count: int
    at: datetime
    """Sent (written) for an outbound batch, applied for an inbound one."""
    acked_at: datetime | None = None
    """Outbound only: when the peer said it holds the batch."""


async def list_batches(
    *,
    session: AsyncSession,
    ctx: TransferContext,
    direction: Direction,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[BatchRow], str | None]:
    """Newest first, one page; the cursor of the next (older) page, None on the last."""
    model: Any = ctx.ledger.outbox if direction == "out" else ctx.ledger.inbox
    at = model.created_at if direction == "out" else model.applied_at
    statement = select(model).order_by(at.desc(), model.id.desc()).limit(limit + 1)
    if direction == "in":
        statement = statement.where(model.source == ctx.peer)
    if cursor is not None:
        after, last_id = decode_cursor(cursor)
        statement = statement.where(or_(at < after, and_(at == after, model.id < last_id)))
    batches = list((await session.scalars(statement)).all())
    rows = [
        BatchRow(
            stream=batch.stream,
            sequence=int(batch.sequence),
            file_name=batch.file_name,
            record_count=int(batch.record_count),
            at=batch.created_at if direction == "out" else batch.applied_at,
            acked_at=batch.acked_at if direction == "out" else None,
        )
        for batch in batches[:limit]
    ]
    if len(batches) <= limit:
        return rows, None
    last = batches[limit - 1]
    return rows, encode_cursor(last.created_at if direction == "out" else last.applied_at, last.id)


@dataclass(frozen=True)
class GapRow:
    stream: str
    sequence: int
    noticed_at: datetime
    declared_lost_at: datetime | None
    declared_lost_by: str | None


async def list_gaps(
    *, session: AsyncSession, ctx: TransferContext, limit: int = 200
) -> tuple[list[GapRow], list[GapRow]]:
    """The peer's sequences not received: (still open, declared lost), at most `limit` each."""
    gap = ctx.ledger.gap
    found: list[list[GapRow]] = []
    for lost in (False, True):
        marker = gap.declared_lost_at.is_not(None) if lost else gap.declared_lost_at.is_(None)
        order = gap.declared_lost_at.desc() if lost else gap.sequence
        rows = await session.scalars(
            select(gap).where(gap.source == ctx.peer, marker).order_by(order).limit(limit)
        )
        found.append(
            [
                GapRow(
                    g.stream, int(g.sequence), g.noticed_at, g.declared_lost_at, g.declared_lost_by
                )
                for g in rows
            ]
        )
    return found[0], found[1]


@dataclass(frozen=True)
class HourlyTraffic:
    hours: list[datetime]
    """The start of each hour, oldest first, the current one last."""
    batches: list[int]
    records: list[int]


async def traffic_per_hour(
    *, session: AsyncSession, ctx: TransferContext, hours: int = 24
) -> HourlyTraffic:
    """Batches and records sent plus applied in each of the last `hours` hours."""
    now = utcnow()
    current = now.replace(minute=0, second=0, microsecond=0)
    starts = [current - timedelta(hours=back) for back in range(hours - 1, -1, -1)]
    batches, records = [0] * hours, [0] * hours
    outbox, inbox = ctx.ledger.outbox, ctx.ledger.inbox
    statements = (
        select(outbox.created_at, outbox.record_count).where(outbox.created_at >= starts[0]),
        select(inbox.applied_at, inbox.record_count).where(
            inbox.source == ctx.peer, inbox.applied_at >= starts[0]
        ),
    )
    for statement in statements:
        for at, count in await session.execute(statement):
            slot = int((at - starts[0]).total_seconds() // 3600)
            if 0 <= slot < hours:
                batches[slot] += 1
                records[slot] += int(count)
    return HourlyTraffic(starts, batches, records)


async def requeue_batch(
    *, session: AsyncSession, ctx: TransferContext, name: str, actor: Actor
) -> Path:
    """Put the quarantined batch `name` back in the inbox (audited); its next import retries
    it. Raises `NotFound` when no such batch is in quarantine."""
    try:
        target = requeue(name, ctx.quarantine_dir, ctx.inbox_dir)
    except FileNotFoundError:
        raise NotFound(f"no quarantined batch {name!r}", code="not_found.batch") from None
    await ctx.record_audit(
        session,
        action="transfer.batch_requeued",
        object_type="batch",
        object_id=name,
        result="ok",
        details={"file": name},
        actor=actor,
    )
    return target
