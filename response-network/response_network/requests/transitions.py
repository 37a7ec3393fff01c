"""Every status change of a request also changes its `response` row, in the same transaction.

The request's own status is this side's bookkeeping; what the user learns travels on the
response row (tracked: each change bumps its version and logs it for the `responses` stream).
The predicates here are the conditions of the conditional UPDATEs that take, claim and
answer requests, so two workers or operators never act on one request at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from response_network.requests.models import Request, RequestStatus
from response_network.responses.models import Response
from shared.streams import IN_CHUNK

REASON_LENGTH = 1000


def readable(reason: str) -> str:
    """A reason fits the record's bound (the `reason` of `ResponseRecord`)."""
    return reason if len(reason) <= REASON_LENGTH else reason[: REASON_LENGTH - 1] + "…"


def claim_free(now: datetime) -> ColumnElement[bool]:
    """Nobody (operator or worker) holds the request: no claim, or an expired one."""
    return or_(Request.claim_expires_at.is_(None), Request.claim_expires_at < now)


def claim_held_by(user_id: uuid.UUID, now: datetime) -> ColumnElement[bool]:
    return and_(Request.claimed_by == user_id, Request.claim_expires_at >= now)


def due_for_handler(now: datetime, max_attempts: int) -> ColumnElement[bool]:
    """Waiting for its (next) handler run, or taken by a worker whose lease ran out."""
    waiting = and_(
        Request.status == RequestStatus.RECEIVED,
        Request.attempts < max_attempts,
        or_(Request.next_attempt_at.is_(None), Request.next_attempt_at <= now),
        claim_free(now),
    )
    lost = and_(
        Request.status == RequestStatus.PROCESSING,
        Request.claimed_by.is_(None),
        claim_free(now),
    )
    return or_(waiting, lost)


async def responses_of(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Response]:
    """The response rows of these requests, by request id (one is made where missing)."""
    found: dict[uuid.UUID, Response] = {}
    for start in range(0, len(request_ids), IN_CHUNK):
        chunk = request_ids[start : start + IN_CHUNK]
        rows = await session.scalars(select(Response).where(Response.id.in_(chunk)))
        found.update((row.id, row) for row in rows)
    for request_id in request_ids:
        if request_id not in found:
            found[request_id] = Response(
                id=request_id, status=RequestStatus.RECEIVED, answer_number=0
            )
            session.add(found[request_id])
    return found


def show_progress(response: Response, status: RequestStatus) -> None:
    """`received` or `processing`: the answer so far (if any) stays as it was."""
    response.status = status
    response.reason = None


def show_decision(
    response: Response,
    status: RequestStatus,
    *,
    by: str | None,
    at: datetime,
    reason: str | None = None,
    body: Any = None,
    content_type: str | None = None,
) -> None:
    """An answer (counted in `answer_number`), a failure or a rejection, and who decided."""
    response.status = status
    response.reason = readable(reason) if reason is not None else None
    response.body = body
    response.content_type = content_type if body is not None else None
    response.answered_by = by
    response.answered_at = at
    if status == RequestStatus.ANSWERED:
        response.answer_number = (response.answer_number or 0) + 1
