"""The `requests` stream (imported) and the `responses` stream (exported), master side."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from response_network.requests.models import Request, RequestStatus, Response
from response_network.transfer.models import ChangeLog
from shared.changes import track
from shared.records import RequestsStreamRecord
from shared.streams import IN_CHUNK, ApplyOutcome, InboundStream, OutboundStream, load_changed
from shared.upsert import versioned_upsert

REQUESTS = "requests"
RESPONSES = "responses"

track(Response, stream=RESPONSES, record_type="response", change_log=ChangeLog)


async def _known_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    known: set[uuid.UUID] = set()
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        known.update(await session.scalars(select(Request.id).where(Request.id.in_(chunk))))
    return known


async def apply_request_records(
    session: AsyncSession, records: Sequence[RequestsStreamRecord]
) -> ApplyOutcome:
    """Versioned upsert of the submitted columns; a request new here also gets its response
    row (`received`) through the ORM, so the user learns that the master has it."""
    rows: list[dict[str, Any]] = []
    for record in records:
        # The validated fields as they are (no serialisation pass): the hot path of imports.
        row = dict(record.root.__dict__)
        del row["kind"]
        rows.append(row)
    ids = list(dict.fromkeys(row["id"] for row in rows))
    known = await _known_ids(session, ids)
    table: Table = Request.__table__  # type: ignore[assignment]
    applied = await versioned_upsert(session=session, table=table, rows=rows)
    session.add_all(
        Response(id=request_id, status=RequestStatus.RECEIVED, answer_number=0)
        for request_id in ids
        if request_id not in known
    )
    await session.flush()
    return ApplyOutcome(applied=applied)


def _response_record(response: Response) -> dict[str, Any]:
    return {
        "kind": "response",
        "id": response.id,
        "status": response.status,
        "reason": response.reason,
        "body": response.body,
        "content_type": response.content_type,
        "answer_number": response.answer_number,
        "answered_by": response.answered_by,
        "answered_at": response.answered_at,
        "updated_at": response.updated_at,
        "version": response.version,
    }


async def load_response_records(
    session: AsyncSession, refs: Sequence[tuple[str, uuid.UUID]]
) -> list[dict[str, Any]]:
    """The current state and answer of each changed request."""
    return await load_changed(session, refs, (("response", Response, _response_record),))


REQUESTS_IN = InboundStream(REQUESTS, RequestsStreamRecord, apply_request_records)
RESPONSES_OUT = OutboundStream(RESPONSES, load_response_records)
