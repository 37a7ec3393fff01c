"""The `requests` stream, request side: submitted requests travel to the master.

Only what the master needs travels (`RequestRecord`); the status is local bookkeeping, so
changing it neither bumps `version` nor queues the request again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from request_network.requests.models import Request, RequestEvent, RequestStatus
from shared.records import RequestRecord
from shared.streams import IN_CHUNK, REQUESTS_STREAM, OutboundStream


def _record(request: Request) -> RequestRecord:
    return RequestRecord(
        id=request.id,
        owner_id=request.owner_id,
        request_type=request.request_type,
        type_version=request.type_version,
        parameters=request.parameters,
        priority=request.priority,
        submitted_at=request.created_at,
        cancel_requested_at=request.cancel_requested_at,
        version=request.version,
    )


async def _mark_exported(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    """Pending requests among `ids` become `exported`, in the export's own transaction."""
    now = utcnow()
    marked = list(
        (
            await session.scalars(
                update(Request)
                .where(Request.id.in_(ids), Request.status == RequestStatus.PENDING)
                .values(status=RequestStatus.EXPORTED, updated_at=now)
                .returning(Request.id)
                .execution_options(synchronize_session=False)
            )
        ).all()
    )
    if marked:
        await session.execute(
            insert(RequestEvent),
            [{"request_id": i, "status": RequestStatus.EXPORTED, "at": now} for i in marked],
        )


async def export_request_records(
    session: AsyncSession, refs: Sequence[tuple[str, uuid.UUID]]
) -> list[RequestRecord]:
    """The changed requests as records; pending ones are marked `exported` on the way out.

    Runs inside the export's transaction: should writing the batch fail, the marks roll back.
    Marking comes first, so a request its owner cancelled while `pending` either was
    cancelled before (and is left out: it never leaves) or is `exported` and travels, never
    both (the mark's conditional UPDATE and the cancel's race on the row).
    """
    ids = [record_id for kind, record_id in refs if kind == "request"]
    records: list[RequestRecord] = []
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        await _mark_exported(session, chunk)
        cancelled_here = and_(
            Request.status == RequestStatus.CANCELLED, Request.cancel_requested_at.is_(None)
        )
        requests = await session.scalars(
            select(Request).where(Request.id.in_(chunk), ~cancelled_here)
        )
        records.extend(_record(request) for request in requests)
    return records


REQUESTS_OUT = OutboundStream(REQUESTS_STREAM, export_request_records, models=(Request,))
