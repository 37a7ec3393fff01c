"""Build a network's TransferContext from its settings and runtime; manage its keys."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, AuditEventMixin, AuditResult, record_audit
from core.runtime import Runtime
from shared.exchange.context import AuditHook, Keys, Ledger, TransferContext, TransferMetrics
from shared.exchange.settings import TransferNetworkSettings as Settings
from shared.streams import StreamRegistry
from shared.transfer import (
    BatchLimits,
    generate_signing_key,
    load_private_key,
    load_public_key,
    save_private_key,
    save_public_key,
)

PEERS = {"response": "request", "request": "response"}


def signing_key_path(settings: Settings) -> Path:
    return settings.signing_key_file or settings.var_dir / "keys" / f"{settings.network_name}.key"


def public_key_path(settings: Settings) -> Path:
    return signing_key_path(settings).with_suffix(".pub")


def peer_key_path(settings: Settings) -> Path:
    peer = PEERS[settings.network_name]
    return settings.peer_public_key_file or settings.var_dir / "keys" / f"{peer}.pub"


def generate_keys(settings: Settings, *, overwrite: bool = False) -> tuple[Path, str]:
    """Create this network's key pair; returns the public key file and its text."""
    private_path = signing_key_path(settings)
    if private_path.exists() and not overwrite:
        raise FileExistsError(private_path)
    key = generate_signing_key()
    save_private_key(key, private_path)
    public_path = public_key_path(settings)
    save_public_key(key.public_key(), public_path)
    return public_path, public_path.read_text().strip()


def ensure_keys(settings: Settings) -> None:
    """Embedded mode: make a key pair on first start so `make run` needs no set-up."""
    if not signing_key_path(settings).exists():
        generate_keys(settings)


TRANSFER_ACTOR = Actor(id=None, name="transfer")


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
    runtime: Runtime,
    settings: Settings,
    *,
    ledger: Ledger,
    streams: StreamRegistry,
    audit: AuditHook | None = None,
) -> TransferContext:
    network = settings.network_name
    peer = PEERS[network]
    root = settings.resolved_transfer_dir
    private_path, peer_path = signing_key_path(settings), peer_key_path(settings)
    age_identity = (
        settings.age_identity_file.read_text().strip()
        if settings.age_identity_file and settings.age_identity_file.exists()
        else None
    )
    metrics = runtime.state.get("transfer_metrics")
    if metrics is None:
        metrics = runtime.state["transfer_metrics"] = TransferMetrics(runtime.metrics_registry)
    return TransferContext(
        network=network,
        peer=peer,
        root=root,
        inbox_dir=settings.inbox_dir or root / peer / "outbox",
        ledger=ledger,
        streams=streams,
        keys=Keys(
            signing_key=load_private_key(private_path) if private_path.exists() else None,
            peer_verify_key=load_public_key(peer_path) if peer_path.exists() else None,
            age_identity=age_identity,
            peer_age_recipient=settings.peer_age_recipient,
        ),
        locks=runtime.locks,
        unit_of_work=runtime.unit_of_work,
        limits=BatchLimits(
            max_batch_bytes=settings.batch_max_bytes,
            max_records=settings.batch_max_records,
            max_record_bytes=settings.record_max_bytes,
        ),
        acks_enabled=settings.acknowledgements,
        retention=timedelta(hours=settings.retention_hours),
        resend_after=timedelta(seconds=settings.resend_after_seconds),
        heartbeat_every=timedelta(seconds=settings.heartbeat_seconds),
        metrics=metrics,
        audit=audit,
    )
