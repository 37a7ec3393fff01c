"""Everything a transfer flow needs about one network, gathered once from its settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import UnitOfWork, utcnow
from core.locks import Locks
from core.metrics import Probe
from shared.ledger import ChangeLogMixin, InboundGapMixin, InboxBatchMixin, OutboxBatchMixin
from shared.records import SCHEMA_VERSION
from shared.streams import StreamRegistry
from shared.transfer import BatchLimits

AuditHook = Callable[..., Awaitable[None]]
"""record(session=, action=, object_type=, object_id=, result=, details=) in the caller's txn."""


@dataclass(frozen=True)
class Ledger:
    """The network's concrete ledger tables (declared with the mixins of `shared.ledger`)."""

    change_log: type[ChangeLogMixin]
    outbox: type[OutboxBatchMixin]
    inbox: type[InboxBatchMixin]
    gap: type[InboundGapMixin]


@dataclass(frozen=True)
class Keys:
    signing_key: Ed25519PrivateKey | None
    peer_verify_key: Ed25519PublicKey | None
    age_identity: str | None = None
    peer_age_recipient: str | None = None


class TransferMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.exported = Counter(
            "airlock_batches_exported_total", "Batches written.", ["stream"], registry=registry
        )
        self.imported = Counter(
            "airlock_batches_imported_total", "Batches applied.", ["stream"], registry=registry
        )
        self.duplicates = Counter(
            "airlock_batches_duplicate_total",
            "Batches received again and not re-applied.",
            ["stream"],
            registry=registry,
        )
        self.quarantined = Counter(
            "airlock_batches_quarantined_total",
            "Batches refused, by stream and reason code.",
            ["stream", "code"],
            registry=registry,
        )
        self.records_applied = Counter(
            "airlock_records_applied_total",
            "Records written by imports.",
            ["stream"],
            registry=registry,
        )
        self.import_busy = Counter(
            "airlock_import_lock_busy_total",
            "Import runs that left a stream alone: another importer held its lock.",
            ["stream"],
            registry=registry,
        )
        self.resent = Counter(
            "airlock_batches_resent_total",
            "Batches re-sent after a gap report.",
            ["stream"],
            registry=registry,
        )
        # Open gaps are state, read from the ledger at scrape time: see `open_gaps_probe`.
        self.lag = Gauge(
            "airlock_stream_lag_seconds",
            "Created-to-applied delay of the newest applied batch.",
            ["stream"],
            registry=registry,
            multiprocess_mode="mostrecent",
        )


@dataclass
class TransferContext:
    network: str
    peer: str
    root: Path
    inbox_dir: Path
    ledger: Ledger
    streams: StreamRegistry
    keys: Keys
    locks: Locks
    unit_of_work: Callable[[], UnitOfWork]
    limits: BatchLimits = field(default_factory=BatchLimits)
    acks_enabled: bool = True
    retention: timedelta = timedelta(days=7)
    processed_retention: timedelta = timedelta(days=7)
    file_mode: int = 0o640
    stale_temporary_after: timedelta = timedelta(hours=1)
    """A hidden temporary this old in our directories was left by a killed writer."""
    schema_version: str = str(SCHEMA_VERSION)
    """Written into every batch's `Schema-Version`; the importer refuses any other."""
    resend_after: timedelta = timedelta(minutes=5)
    heartbeat_every: timedelta = timedelta(minutes=1)
    chunk_size: int = 10_000
    metrics: TransferMetrics | None = None
    audit: AuditHook | None = None
    clock: Callable[[], datetime] = utcnow
    """Stamps our batches' `Created-At` (tests set a skewed one: the peer's clock is its own)."""

    @property
    def outbox_dir(self) -> Path:
        return self.root / self.network / "outbox"

    @property
    def sent_dir(self) -> Path:
        return self.root / self.network / "sent"

    @property
    def processed_dir(self) -> Path:
        return self.root / self.network / "processed"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / self.network / "quarantine"

    @property
    def own_dirs(self) -> tuple[Path, ...]:
        """The directories this network writes batches into (under temporary names first)."""
        return (self.sent_dir, self.outbox_dir, self.processed_dir)

    def ensure_dirs(self) -> None:
        for directory in (
            self.outbox_dir,
            self.sent_dir,
            self.processed_dir,
            self.quarantine_dir,
            self.inbox_dir,
        ):
            directory.mkdir(parents=True, exist_ok=True)

    async def record_audit(self, session: AsyncSession, **event: Any) -> None:
        if self.audit is not None:
            await self.audit(session=session, **event)


def open_gaps_probe(context: Callable[[], TransferContext]) -> Probe:
    """`airlock_stream_open_gaps`: sequences of each inbound stream not received (nor declared
    lost) yet, counted in the ledger when scraped, so every process reports the same."""
    built: list[TransferContext] = []

    async def measure() -> list[Metric]:
        if not built:
            built.append(context())
        ctx = built[0]
        gap = ctx.ledger.gap
        async with ctx.unit_of_work() as uow:
            rows = await uow.session.execute(
                select(gap.stream, func.count())
                .where(gap.source == ctx.peer, gap.declared_lost_at.is_(None))
                .group_by(gap.stream)
            )
            counts = dict.fromkeys(ctx.streams.inbound, 0) | {s: int(n) for s, n in rows}
        family = GaugeMetricFamily(
            "airlock_stream_open_gaps", "Sequences not received yet.", labels=["stream"]
        )
        for stream, count in sorted(counts.items()):
            family.add_metric([stream], count)
        return [family]

    return measure
