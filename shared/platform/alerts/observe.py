"""Gather what the rules look at: ledger tables, heartbeats, the transfer directory, the
cache's HTTP counters. Reads only."""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cache import Cache
from core.heartbeat import WorkerHeartbeatMixin
from shared.exchange.context import TransferContext
from shared.exchange.files import list_quarantined
from shared.platform.alerts.http_outcomes import read_outcomes
from shared.platform.alerts.rules import (
    DiskUsage,
    Heartbeat,
    HeldImport,
    InboundLag,
    Observations,
    OpenGaps,
    Unacknowledged,
)
from shared.platform.alerts.settings import AlertSettings


async def unacknowledged_batches(
    *, session: AsyncSession, ctx: TransferContext
) -> list[Unacknowledged]:
    """Per stream, our batches the peer has not acknowledged (none on a one-way diode)."""
    if not ctx.acks_enabled:
        return []
    outbox = ctx.ledger.outbox
    rows = await session.execute(
        select(outbox.stream, func.count(), func.min(outbox.created_at))
        .where(outbox.acked_at.is_(None))
        .group_by(outbox.stream)
    )
    return [Unacknowledged(stream, int(count), oldest) for stream, count, oldest in rows]


LAG_BASELINE = timedelta(hours=1)
"""The peer's batches applied this recently set the fastest delivery seen (`inbound_lags`)."""
_BASELINE_ROWS = 10_000


async def inbound_lags(
    *, session: AsyncSession, ctx: TransferContext, at: datetime
) -> list[InboundLag]:
    """Per stream, how much later than the fastest recent delivery the batch applied last
    arrived.

    `Created-At` is the peer's clock and `applied_at` ours: their difference is the delay
    plus the clocks' offset, which may be hours. The smallest difference over the last
    `LAG_BASELINE` (heartbeats keep it filled) holds the same offset, so subtracting it
    leaves the delay beyond the fastest delivery: a stalled or backed-up transfer shows,
    a skewed clock does not.
    """
    inbox = ctx.ledger.inbox
    recent = await session.execute(
        select(inbox.applied_at, inbox.created_at)
        .where(inbox.source == ctx.peer, inbox.applied_at >= at - LAG_BASELINE)
        .order_by(inbox.applied_at.desc())
        .limit(_BASELINE_ROWS)
    )
    offsets = [(applied - created).total_seconds() for applied, created in recent]
    latest = (
        select(inbox.stream, func.max(inbox.applied_at).label("applied_at"))
        .where(inbox.source == ctx.peer)
        .group_by(inbox.stream)
        .subquery()
    )
    rows = await session.execute(
        select(inbox.stream, inbox.sequence, inbox.created_at, inbox.applied_at)
        .join(
            latest,
            (inbox.stream == latest.c.stream) & (inbox.applied_at == latest.c.applied_at),
        )
        .where(inbox.source == ctx.peer)
    )
    lags: dict[str, InboundLag] = {}
    for stream, sequence, created_at, applied_at in rows:
        offset = (applied_at - created_at).total_seconds()
        lag = max(0.0, offset - min([*offsets, offset]))
        if stream not in lags or sequence > lags[stream].sequence:
            lags[stream] = InboundLag(stream, int(sequence), lag)
    return list(lags.values())


async def open_gaps(*, session: AsyncSession, ctx: TransferContext) -> list[OpenGaps]:
    gap = ctx.ledger.gap
    rows = await session.execute(
        select(
            gap.stream,
            func.count(),
            func.min(gap.sequence),
            func.max(gap.sequence),
            func.min(gap.noticed_at),
        )
        .where(gap.source == ctx.peer, gap.declared_lost_at.is_(None))
        .group_by(gap.stream)
    )
    return [
        OpenGaps(stream, int(count), int(first), int(last), oldest)
        for stream, count, first, last, oldest in rows
    ]


async def held_imports(ctx: TransferContext) -> list[HeldImport]:
    """The inbound streams whose import lock someone holds, and since when."""
    held: list[HeldImport] = []
    for stream in ctx.streams.inbound:
        since = await ctx.locks.held_since(f"import-{stream}")
        if since is not None:
            held.append(HeldImport(stream, since))
    return held


async def newest_heartbeat(
    *, session: AsyncSession, model: type[WorkerHeartbeatMixin]
) -> Heartbeat | None:
    row = (
        await session.execute(
            select(model.worker, model.last_seen_at).order_by(model.last_seen_at.desc()).limit(1)
        )
    ).first()
    return Heartbeat(row.worker, row.last_seen_at) if row is not None else None


def disk_usage(directory: Path) -> DiskUsage:
    """Usage of the file system holding `directory` (or its nearest existing parent)."""
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    return DiskUsage(str(directory), usage.used, usage.free)


async def observe(
    *,
    session: AsyncSession,
    ctx: TransferContext,
    heartbeat_model: type[WorkerHeartbeatMixin],
    cache: Cache,
    settings: AlertSettings,
    production: bool,
    at: datetime,
) -> Observations:
    quarantined = await asyncio.to_thread(list_quarantined, ctx.quarantine_dir)
    disk = await asyncio.to_thread(disk_usage, ctx.root)
    return Observations(
        at=at,
        production=production,
        unacknowledged=await unacknowledged_batches(session=session, ctx=ctx),
        inbound_lag=await inbound_lags(session=session, ctx=ctx, at=at),
        gaps=await open_gaps(session=session, ctx=ctx),
        held_imports=await held_imports(ctx),
        quarantined=quarantined,
        heartbeat=await newest_heartbeat(session=session, model=heartbeat_model),
        disk=disk,
        http=await read_outcomes(
            cache, at=at, window_minutes=settings.alert_error_rate_window_minutes
        ),
    )
