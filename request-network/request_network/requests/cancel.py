"""A user cancels their own request before it is decided.

A `pending` request (not exported yet) is `cancelled` at once and never leaves. One that
left (`exported`, `received`, `processing`) gets `cancel_requested_at`: a tracked column, so
the request travels again on the `requests` stream and the master stops it unless it
decided first; the `responses` stream then brings `cancelled` back (or the answer that
won the race). A decided request (`answered`, `delivered`, `failed`, `rejected`) cannot be
cancelled. Asking again changes nothing and answers the same.
"""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import after_commit, utcnow
from core.errors import Conflict, NotFound
from core.jobs import JobRunner
from request_network.requests.models import Request, RequestEvent, RequestStatus
from request_network.users.models import User

CANCELLED_REASON = "cancelled by its owner"
IN_FLIGHT = (RequestStatus.EXPORTED, RequestStatus.RECEIVED, RequestStatus.PROCESSING)


async def _cancel_pending(session: AsyncSession, request: Request) -> bool:
    """`pending` to `cancelled` if the export has not taken it meanwhile."""
    now = utcnow()
    result = await session.execute(
        update(Request)
        .where(Request.id == request.id, Request.status == RequestStatus.PENDING)
        .values(status=RequestStatus.CANCELLED, status_reason=CANCELLED_REASON, updated_at=now)
        .returning(Request.id)
        .execution_options(synchronize_session=False)
    )
    if result.first() is None:
        return False
    session.add(
        RequestEvent(
            request_id=request.id, status=RequestStatus.CANCELLED, at=now, reason=CANCELLED_REASON
        )
    )
    await session.flush()
    return True


async def cancel_request(
    *, session: AsyncSession, owner: User, request_id: uuid.UUID, jobs: JobRunner | None = None
) -> Request:
    """Cancel `owner`'s request; someone else's is `not_found.request` (even for an admin:
    only the owner cancels). A decided one is 409 `conflict.request_decided`."""
    request = await session.get(Request, request_id)
    if request is None or request.owner_id != owner.id:
        raise NotFound("no such request", code="not_found.request")
    if request.status == RequestStatus.PENDING and await _cancel_pending(session, request):
        await session.refresh(request)
        return request
    await session.refresh(request)  # the export may have taken it meanwhile
    if request.status == RequestStatus.CANCELLED:
        return request
    if request.status not in IN_FLIGHT:
        raise Conflict(
            f"the request is {request.status} and can no longer be cancelled",
            code="conflict.request_decided",
            extra={"status": request.status},
        )
    if request.cancel_requested_at is None:
        request.cancel_requested_at = utcnow()
        await session.flush()
        if jobs is not None:

            async def export() -> None:
                await jobs.enqueue("transfer_export")

            after_commit(session, export)
    return request
