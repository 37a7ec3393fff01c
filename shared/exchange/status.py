"""What an operator wants to know about the transfer at a glance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from shared.exchange.acks import outgoing_acks
from shared.exchange.context import TransferContext
from shared.exchange.files import QuarantineReason, list_quarantined, pending_files


@dataclass(frozen=True)
class OutboundStatus:
    stream: str
    last_sequence: int
    last_sent_at: datetime | None
    acked_through: int
    unacknowledged: int


@dataclass(frozen=True)
class InboundStatus:
    stream: str
    last_sequence: int
    acked_through: int
    open_gaps: list[int]
    last_received_at: datetime | None
    lag_seconds: float | None
    """Seconds between the newest applied batch's creation and its application."""
    since_last_seconds: float | None


@dataclass
class TransferStatus:
    network: str
    peer: str
    acknowledgements: bool
    outbound: list[OutboundStatus] = field(default_factory=list)
    inbound: list[InboundStatus] = field(default_factory=list)
    waiting: int = 0
    quarantined: list[QuarantineReason] = field(default_factory=list)


async def transfer_status(*, session: AsyncSession, ctx: TransferContext) -> TransferStatus:
    outbox, inbox = ctx.ledger.outbox, ctx.ledger.inbox
    status = TransferStatus(ctx.network, ctx.peer, ctx.acks_enabled)
    now = utcnow()
    out_rows = await session.execute(
        select(
            outbox.stream,
            func.max(outbox.sequence),
            func.max(outbox.created_at),
            func.count().filter(outbox.acked_at.is_(None)),
        ).group_by(outbox.stream)
    )
    acked = dict(
        (
            await session.execute(
                select(outbox.stream, func.max(outbox.sequence))
                .where(outbox.acked_at.is_not(None))
                .group_by(outbox.stream)
            )
        ).all()
    )
    for stream, last, last_at, unacked in out_rows:
        status.outbound.append(
            OutboundStatus(stream, int(last), last_at, int(acked.get(stream) or 0), int(unacked))
        )
    acks = await outgoing_acks(session, ctx) if ctx.acks_enabled else {}
    latest = (
        select(inbox.stream, func.max(inbox.sequence).label("sequence"))
        .where(inbox.source == ctx.peer)
        .group_by(inbox.stream)
        .subquery()
    )
    in_rows = await session.execute(
        select(inbox.stream, inbox.sequence, inbox.applied_at, inbox.created_at).join(
            latest, (inbox.stream == latest.c.stream) & (inbox.sequence == latest.c.sequence)
        )
    )
    last_applied = dict(
        (
            await session.execute(
                select(inbox.stream, func.max(inbox.applied_at))
                .where(inbox.source == ctx.peer)
                .group_by(inbox.stream)
            )
        ).all()
    )
    for stream, sequence, applied_at, created_at in in_rows:
        ack = acks.get(stream)
        received_at = last_applied.get(stream) or applied_at
        status.inbound.append(
            InboundStatus(
                stream=stream,
                last_sequence=int(sequence),
                acked_through=ack.acked_through if ack else int(sequence),
                open_gaps=list(ack.missing) if ack else [],
                last_received_at=received_at,
                lag_seconds=max(0.0, (applied_at - created_at).total_seconds()),
                since_last_seconds=(now - received_at).total_seconds() if received_at else None,
            )
        )
    status.waiting = len(pending_files(ctx.inbox_dir))
    status.quarantined = list_quarantined(ctx.quarantine_dir)
    return status
