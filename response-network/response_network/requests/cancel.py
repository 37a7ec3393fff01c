"""Cancellations from the request network: its owner asked to stop a request.

A cancellation travels on the `requests` stream as the record's `cancel_requested_at` (the
one field outside `WRITE_ONCE`). The import stops every such request not decided yet
(`received`, `processing`, or `failed` and waiting for an admin's retry) with one
conditional UPDATE per chunk: a worker running its handler loses its lease (its outcome is
discarded), an operator's claim stays so the operator sees it `cancelled`, and answering it
is refused. An answered or rejected request stays as it is: the cancellation came too late.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import structlog
from sqlalchemy import case, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, AuditResult, record_audit
from core.db import utcnow
from core.errors import Conflict
from response_network.audit.models import AuditEvent
from response_network.requests.models import Request, RequestStatus
from response_network.requests.transitions import responses_of, show_decision
from shared.streams import IN_CHUNK

log = structlog.get_logger(__name__)

CANCELLED_REASON = "cancelled by its owner"
STOPPABLE = (RequestStatus.RECEIVED, RequestStatus.PROCESSING, RequestStatus.FAILED)
"""Not decided for good: a failed request could still be retried by an admin."""
TRANSFER = Actor(id=None, name="transfer")


async def stop_cancelled_requests(
    *, session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Cancel the named requests that are still stoppable; returns those it cancelled.

    Idempotent: a request already cancelled (or decided) is left alone.
    """
    now = utcnow()
    stopped: list[uuid.UUID] = []
    for start in range(0, len(request_ids), IN_CHUNK):
        chunk = request_ids[start : start + IN_CHUNK]
        rows = (
            await session.execute(
                update(Request)
                .where(Request.id.in_(chunk), Request.status.in_(STOPPABLE))
                .values(
                    status=RequestStatus.CANCELLED,
                    status_reason=CANCELLED_REASON,
                    next_attempt_at=None,
                    # A worker's lease ends; an operator's claim stays, showing it cancelled.
                    claim_expires_at=case(
                        (Request.claimed_by.is_(None), None), else_=Request.claim_expires_at
                    ),
                    updated_at=now,
                )
                .returning(Request.id, Request.request_type, Request.claimed_by)
                .execution_options(synchronize_session=False)
            )
        ).all()
        responses = await responses_of(session, [row.id for row in rows])
        for row in rows:
            show_decision(
                responses[row.id], RequestStatus.CANCELLED, by=None, at=now, reason=CANCELLED_REASON
            )
            record_audit(
                session=session,
                model=AuditEvent,
                actor=TRANSFER,
                action="request.cancelled",
                object_type="request",
                object_id=row.id,
                result=AuditResult.SUCCESS,
                details={
                    "request_type": row.request_type,
                    "claimed_by": None if row.claimed_by is None else str(row.claimed_by),
                },
            )
            stopped.append(row.id)
    await session.flush()
    if stopped:
        log.info("requests_cancelled", count=len(stopped))
    return stopped


def refuse_cancelled(request: Request) -> None:
    """Operators may not claim or answer a cancelled request (409 `conflict.cancelled`)."""
    if request.status == RequestStatus.CANCELLED:
        raise Conflict(
            f"request {request.id} was cancelled by its owner; it can no longer be answered",
            code="conflict.cancelled",
            extra={"status": RequestStatus.CANCELLED.value},
        )
