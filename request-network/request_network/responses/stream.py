"""The `responses` stream, request side: the master's state and answer of each request.

Applied with the versioned upsert; then, in the same transaction, the requests of the
responses written are settled: one UPDATE per chunk moves each to the status its response
implies and one INSERT writes their history events, so reading a request never has to write.
Their cached answers are invalidated in the same step. Responses whose request is not here
are kept and reported as unknown.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from request_network.requests.models import Request, RequestEvent
from request_network.responses.cache import ResponseCache
from request_network.responses.delivery import stays_delivered, stays_delivered_clause
from request_network.responses.models import Response
from shared.records import ResponsesStreamRecord
from shared.streams import IN_CHUNK, RESPONSES_STREAM, ApplyOutcome, InboundStream
from shared.upsert import versioned_upsert

Row = Mapping[str, Any]


def _newest(rows: Sequence[Row]) -> dict[uuid.UUID, Row]:
    newest: dict[uuid.UUID, Row] = {}
    for row in rows:
        held = newest.get(row["id"])
        if held is None or row["version"] > held["version"]:
            newest[row["id"]] = row
    return newest


async def _held_responses(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """(version, answer_number) of the responses already here."""
    held: dict[uuid.UUID, tuple[int, int]] = {}
    for start in range(0, len(ids), IN_CHUNK):
        rows = await session.execute(
            select(Response.id, Response.version, Response.answer_number).where(
                Response.id.in_(ids[start : start + IN_CHUNK])
            )
        )
        held.update({row.id: (row.version, row.answer_number) for row in rows})
    return held


async def _requests(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    found: dict[uuid.UUID, Any] = {}
    for start in range(0, len(ids), IN_CHUNK):
        rows = await session.execute(
            select(
                Request.id, Request.status, Request.status_reason, Request.delivered_answer
            ).where(Request.id.in_(ids[start : start + IN_CHUNK]))
        )
        found.update({row.id: row for row in rows})
    return found


def _request_moves(
    written: Sequence[Row],
    held: Mapping[uuid.UUID, tuple[int, int]],
    requests: Mapping[uuid.UUID, Any],
) -> list[uuid.UUID]:
    """Requests whose status, reason or answer changed: the request keeps `delivered` for
    the answer its owner read; a newer answer makes it `answered` again."""
    moves: list[uuid.UUID] = []
    for row in written:
        request = requests.get(row["id"])
        if request is None:
            continue
        if stays_delivered(request.status, request.delivered_answer, row["answer_number"]):
            continue
        previous_answer = held[row["id"]][1] if row["id"] in held else 0
        if (
            row["status"] == request.status
            and row["reason"] == request.status_reason
            and row["answer_number"] <= previous_answer
        ):
            continue
        moves.append(row["id"])
    return moves


async def _settle_requests(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    """Move the requests `ids` to their response's status and reason, with one event each.

    The delivered rule is checked in the statement itself, as `settle` checks the expected
    status: an owner's read committed since `_requests` looked keeps its `delivered`.
    """
    now = utcnow()
    kept_delivered = stays_delivered_clause()
    moved = await session.execute(
        update(Request)
        .where(Request.id == Response.id, Request.id.in_(ids), not_(kept_delivered))
        .values(status=Response.status, status_reason=Response.reason, updated_at=now)
        .returning(Request.id, Request.status, Request.status_reason)
        .execution_options(synchronize_session=False)
    )
    events = [
        {"request_id": row.id, "status": row.status, "at": now, "reason": row.status_reason}
        for row in moved
    ]
    if events:
        await session.execute(insert(RequestEvent), events)


async def apply_response_records(
    session: AsyncSession, records: Sequence[ResponsesStreamRecord], *, cache: ResponseCache
) -> ApplyOutcome:
    rows: list[dict[str, Any]] = []
    for record in records:
        # The validated fields as they are (no serialisation pass), as for users.
        row = dict(record.root.__dict__)
        del row["kind"]
        rows.append(row)
    newest = _newest(rows)
    ids = list(newest)
    held = await _held_responses(session, ids)
    table: Table = Response.__table__  # type: ignore[assignment]
    applied = await versioned_upsert(session=session, table=table, rows=rows)
    written = [
        row for key, row in newest.items() if key not in held or row["version"] > held[key][0]
    ]
    requests = await _requests(session, ids)
    moves = _request_moves(written, held, requests)
    for start in range(0, len(moves), IN_CHUNK):
        await _settle_requests(session, moves[start : start + IN_CHUNK])
    await cache.invalidate(session=session, request_ids=[row["id"] for row in written])
    return ApplyOutcome(applied=applied, unknown=[str(key) for key in ids if key not in requests])


def responses_inbound(cache: ResponseCache) -> InboundStream:
    """The stream as this network imports it; `cache` is the runtime's response cache."""

    async def apply(session: AsyncSession, records: Sequence[Any]) -> ApplyOutcome:
        return await apply_response_records(session, records, cache=cache)

    return InboundStream(RESPONSES_STREAM, ResponsesStreamRecord, apply)
