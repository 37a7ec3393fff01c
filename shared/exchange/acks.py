"""Acknowledgements and gaps: what we tell the peer we hold, and what it tells us it holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor
from core.db import utcnow
from shared.exchange.context import TransferContext
from shared.transfer import AckState

MAX_REPORTED_MISSING = 1000
MAX_NEW_GAPS = 100_000
"""A jump larger than this is not tracked sequence by sequence (the batch is still applied)."""


async def highest_received(session: AsyncSession, ctx: TransferContext, stream: str) -> int:
    inbox = ctx.ledger.inbox
    statement = select(func.max(inbox.sequence)).where(
        inbox.source == ctx.peer, inbox.stream == stream
    )
    return int((await session.execute(statement)).scalar() or 0)


async def note_received(
    session: AsyncSession, ctx: TransferContext, stream: str, sequence: int
) -> None:
    """Call before inserting the inbox row of `sequence`: opens or closes gaps."""
    gap = ctx.ledger.gap
    highest = await highest_received(session, ctx, stream)
    if sequence > highest + 1:
        missing = range(highest + 1, min(sequence, highest + 1 + MAX_NEW_GAPS))
        now = utcnow()
        session.add_all(
            gap(source=ctx.peer, stream=stream, sequence=number, noticed_at=now)
            for number in missing
        )
    elif sequence <= highest:
        await session.execute(
            delete(gap).where(
                gap.source == ctx.peer, gap.stream == stream, gap.sequence == sequence
            )
        )


async def outgoing_acks(session: AsyncSession, ctx: TransferContext) -> dict[str, AckState]:
    """For each of the peer's streams we have heard of: the highest held and the gaps below."""
    if not ctx.acks_enabled:
        return {}
    inbox, gap = ctx.ledger.inbox, ctx.ledger.gap
    highs = dict(
        (
            await session.execute(
                select(inbox.stream, func.max(inbox.sequence))
                .where(inbox.source == ctx.peer)
                .group_by(inbox.stream)
            )
        ).all()
    )
    open_gaps: dict[str, list[int]] = {}
    rows = await session.execute(
        select(gap.stream, gap.sequence)
        .where(gap.source == ctx.peer, gap.declared_lost_at.is_(None))
        .order_by(gap.stream, gap.sequence)
    )
    for stream, sequence in rows:
        open_gaps.setdefault(stream, []).append(int(sequence))
    # Acked-Through is the highest sequence held; Missing lists those below it not held.
    return {
        stream: AckState(
            acked_through=int(high), missing=open_gaps.get(stream, [])[:MAX_REPORTED_MISSING]
        )
        for stream, high in highs.items()
    }


@dataclass(frozen=True)
class ResendRequest:
    stream: str
    sequence: int


async def apply_incoming_acks(
    session: AsyncSession, ctx: TransferContext, acks: Mapping[str, AckState]
) -> list[ResendRequest]:
    """Mark our batches the peer holds; return the ones it reports missing, due for resend."""
    if not ctx.acks_enabled:
        return []
    outbox = ctx.ledger.outbox
    now = utcnow()
    resend: list[ResendRequest] = []
    for stream, state in acks.items():
        missing = set(state.missing)
        held = update(outbox).where(
            outbox.stream == stream,
            outbox.sequence <= state.acked_through,
            outbox.acked_at.is_(None),
        )
        if missing:
            held = held.where(outbox.sequence.not_in(missing))
        await session.execute(held.values(acked_at=now))
        if missing:
            due = await session.execute(
                select(outbox.sequence).where(
                    outbox.stream == stream,
                    outbox.sequence.in_(missing),
                    (outbox.last_resent_at.is_(None))
                    | (outbox.last_resent_at < now - ctx.resend_after),
                )
            )
            resend.extend(ResendRequest(stream, int(sequence)) for (sequence,) in due)
    return resend


async def declare_gap_lost(
    *, session: AsyncSession, ctx: TransferContext, stream: str, sequence: int, actor: Actor
) -> bool:
    """An operator gives up on a sequence: it stops being reported as missing."""
    gap = ctx.ledger.gap
    result = await session.execute(
        update(gap)
        .where(
            gap.source == ctx.peer,
            gap.stream == stream,
            gap.sequence == sequence,
            gap.declared_lost_at.is_(None),
        )
        .values(declared_lost_at=utcnow(), declared_lost_by=actor.name[:64])
    )
    changed = bool(getattr(result, "rowcount", 0))
    if changed:
        await ctx.record_audit(
            session,
            action="transfer.gap_declared_lost",
            object_type="stream",
            object_id=f"{ctx.peer}/{stream}/{sequence}",
            result="ok",
            details={"stream": stream, "sequence": sequence},
            actor=actor,
        )
    return changed
