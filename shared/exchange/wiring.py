"""A network's TransferContext, built once from its settings and runtime: its keys, ledger
tables, audit table and metrics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, AuditEventMixin, AuditResult, record_audit
from core.db import UnitOfWork
from core.locks import Locks
from shared.exchange.context import AuditHook, Ledger, TransferContext, TransferMetrics
from shared.exchange.keys import PEERS, load_keys
from shared.exchange.settings import TransferNetworkSettings as Settings
from shared.streams import StreamRegistry
from shared.transfer import BatchLimits

TRANSFER_ACTOR = Actor(id=None, name="transfer")


class TransferRuntime(Protocol):
    """What the context takes from a network's runtime."""

    @property
    def settings(self) -> Settings: ...
    @property
    def locks(self) -> Locks: ...
    @property
    def transfer_metrics(self) -> TransferMetrics: ...
    def unit_of_work(self) -> UnitOfWork: ...


def audit_hook(model: type[AuditEventMixin]) -> AuditHook:
    """Transfer events go to the network's audit table, in the caller's transaction."""

    async def record(
        *,
        session: AsyncSession,
        action: str,
        object_type: str,
        object_id: str,
        result: str,
        details: dict[str, Any],
        actor: Actor | None = None,
    ) -> None:
        record_audit(
            session=session,
            model=model,
            actor=actor or TRANSFER_ACTOR,
            action=action,
            object_type=object_type,
            object_id=object_id[:64],
            result=AuditResult.SUCCESS if result == "ok" else AuditResult.FAILURE,
            details=details,
        )

    return record


def build_context(
    runtime: TransferRuntime,
    *,
    ledger: Ledger,
    streams: StreamRegistry,
    audit: AuditHook | None = None,
) -> TransferContext:
    settings = runtime.settings
    network = settings.network_name
    peer = PEERS[network]
    root = settings.resolved_transfer_dir
    return TransferContext(
        network=network,
        peer=peer,
        root=root,
        inbox_dir=settings.inbox_dir or root / peer / "outbox",
        ledger=ledger,
        streams=streams,
        keys=load_keys(settings),
        locks=runtime.locks,
        unit_of_work=runtime.unit_of_work,
        limits=BatchLimits(
            max_batch_bytes=settings.batch_max_bytes,
            max_records=settings.batch_max_records,
            max_record_bytes=settings.record_max_bytes,
        ),
        acks_enabled=settings.acknowledgements,
        retention=timedelta(hours=settings.retention_hours),
        processed_retention=timedelta(
            hours=settings.processed_retention_hours or settings.retention_hours
        ),
        file_mode=settings.batch_file_mode,
        stale_temporary_after=timedelta(hours=settings.stale_temporary_hours),
        resend_after=timedelta(seconds=settings.resend_after_seconds),
        heartbeat_every=timedelta(seconds=settings.heartbeat_seconds),
        metrics=runtime.transfer_metrics,
        audit=audit,
    )
