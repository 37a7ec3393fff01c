"""`/admin/transfer`: the transfer's state for operators, built for either network."""

# No `from __future__ import annotations`: FastAPI must see the closure-built dependencies.

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict

from core.audit import Actor
from core.deps import RuntimeDep, UnitOfWorkDep
from core.errors import NotFound
from core.inputs import INTEGER_TEXT
from core.openapi import api_router
from shared.exchange import batches
from shared.exchange.acks import declare_gap_lost
from shared.exchange.context import TransferContext
from shared.exchange.status import transfer_status


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


_OUTBOUND: dict[str, Any] = {
    "stream": "responses",
    "last_sequence": 1207,
    "last_sent_at": "2026-12-04T09:12:00Z",
    "acked_through": 1205,
    "unacknowledged": 2,
}
_INBOUND: dict[str, Any] = {
    "stream": "requests",
    "last_sequence": 3410,
    "acked_through": 3410,
    "open_gaps": [],
    "last_received_at": "2026-12-04T09:11:58Z",
    "lag_seconds": 1.6,
    "since_last_seconds": 2.0,
}
_QUARANTINED: dict[str, Any] = {
    "file": "requests-000000003411.tar",
    "code": "batch.signature",
    "detail": "the signature does not verify with the peer's public key",
    "check": "signature",
    "at": "2026-12-04T09:10:00Z",
}


class OutboundRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_OUTBOUND]})

    stream: str
    last_sequence: int
    last_sent_at: datetime | None
    acked_through: int
    unacknowledged: int


class InboundRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_INBOUND]})

    stream: str
    last_sequence: int
    acked_through: int
    open_gaps: list[int]
    last_received_at: datetime | None
    lag_seconds: float | None
    since_last_seconds: float | None


class QuarantinedRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_QUARANTINED]})

    file: str
    code: str
    detail: str
    check: str
    at: datetime


class TransferRead(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "network": "response",
                    "peer": "request",
                    "acknowledgements": True,
                    "outbound": [_OUTBOUND],
                    "inbound": [_INBOUND],
                    "waiting": 0,
                    "quarantined": [_QUARANTINED],
                }
            ]
        }
    )

    network: str
    peer: str
    acknowledgements: bool
    outbound: list[OutboundRead]
    inbound: list[InboundRead]
    waiting: int
    quarantined: list[QuarantinedRead]


class RequeueRead(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"file": "requests-000000003411.tar", "requeued_as": "requests-000000003411.tar"}
            ]
        }
    )

    file: str
    requeued_as: str


class GapRead(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"stream": "requests", "sequence": 3409, "declared_lost": True}]
        }
    )

    stream: str
    sequence: int
    declared_lost: bool


def transfer_router(
    context: Callable[[Any], TransferContext],
    admin: Callable[..., Any],
    actor: Callable[..., Any],
) -> APIRouter:
    """Routes for one network; `context` builds its transfer context from its runtime,
    `admin` requires the admin role, `actor` names who acts."""
    router = api_router(prefix="/admin/transfer", tags=["transfer"], dependencies=[Depends(admin)])
    ActorDep = Annotated[Actor, Depends(actor)]

    @router.get(
        "",
        operation_id="transfer_status",
        response_model=TransferRead,
        summary="Streams, gaps, quarantine",
    )
    async def status(runtime: RuntimeDep, uow: UnitOfWorkDep) -> Any:
        return await transfer_status(session=uow.session, ctx=context(runtime))

    @router.post(
        "/quarantine/{name}/requeue",
        response_model=RequeueRead,
        summary="Put a quarantined batch back in the inbox once its cause is fixed",
    )
    async def requeue_batch(
        name: Annotated[str, Path(max_length=255)],
        runtime: RuntimeDep,
        uow: UnitOfWorkDep,
        who: ActorDep,
    ) -> Any:
        target = await batches.requeue_batch(
            session=uow.session, ctx=context(runtime), name=name, actor=who
        )
        return RequeueRead(file=name, requeued_as=target.name)

    @router.post(
        "/gaps/{stream}/{sequence}/lost",
        response_model=GapRead,
        summary="Stop reporting a sequence as missing",
    )
    async def declare_lost(
        stream: Annotated[str, Path(max_length=32)],
        # Stored as a 64-bit integer: a larger one is no sequence (422, not a database error).
        sequence: Annotated[int, Path(ge=1, le=2**63 - 1), INTEGER_TEXT],
        runtime: RuntimeDep,
        uow: UnitOfWorkDep,
        who: ActorDep,
    ) -> Any:
        changed = await declare_gap_lost(
            session=uow.session, ctx=context(runtime), stream=stream, sequence=sequence, actor=who
        )
        if not changed:
            raise NotFound(f"no open gap {stream}/{sequence}", code="not_found.gap")
        return GapRead(stream=stream, sequence=sequence, declared_lost=True)

    return router
