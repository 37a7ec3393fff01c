"""The `requests` stream, imported on the master side (the `responses` stream it answers on
is `response_network.responses.stream`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import structlog
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, AuditResult, record_audit
from response_network.audit.models import AuditEvent
from response_network.requests.cancel import stop_cancelled_requests
from response_network.requests.models import Request, RequestStatus
from response_network.responses.models import Response
from shared.records import RequestsStreamRecord
from shared.streams import IN_CHUNK, REQUESTS_STREAM, ApplyOutcome, InboundStream
from shared.upsert import versioned_upsert

log = structlog.get_logger(__name__)


WRITE_ONCE = (
    "owner_id",
    "request_type",
    "type_version",
    "parameters",
    "priority",
    "submitted_at",
)
"""Every field a request record carries besides `id` and `version`: what the user submitted,
fixed once the master has imported it (an operator may have seen it, a handler run it). The
request network never changes them (its status, idempotency key and hash do not travel), so a
later version differing in one is forged or corrupt: refused and audited, the rest applies.
A field the request network may legitimately change later must be added to the record and
left out of this list, as `cancel_requested_at` is (see `requests.cancel`)."""
IMPORT_ACTOR = Actor(id=None, name="transfer")


async def _stored(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The write-once columns of the requests already imported, one query per `IN_CHUNK`."""
    columns = [Request.id, *(getattr(Request, name) for name in WRITE_ONCE)]
    stored: dict[uuid.UUID, dict[str, Any]] = {}
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        for row in await session.execute(select(*columns).where(Request.id.in_(chunk))):
            stored[row.id] = dict(row._mapping)
    return stored


def _same(name: str, first: Any, later: Any) -> bool:
    if name == "parameters":
        # Canonical JSON, not ==: Python takes 1, 1.0 and true for the same value.
        return _canonical(first) == _canonical(later)
    return bool(first == later)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _refuse_rewrites(
    session: AsyncSession, rows: list[dict[str, Any]], stored: dict[uuid.UUID, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The rows that keep every write-once field as first imported; the others are audited.

    "First imported" is the stored row, or for a request new here the lowest version in
    this chunk (a batch may carry several versions of one request).
    """
    first = dict(stored)
    kept: list[dict[str, Any]] = []
    for row in sorted(rows, key=itemgetter("version")):
        held = first.setdefault(row["id"], row)
        if held is row:  # the first import of this request: nothing to compare (hot path)
            kept.append(row)
            continue
        changed = [name for name in WRITE_ONCE if not _same(name, held[name], row[name])]
        if not changed:
            kept.append(row)
            continue
        log.warning("request_rewrite_refused", request_id=str(row["id"]), fields=changed)
        record_audit(
            session=session,
            model=AuditEvent,
            actor=IMPORT_ACTOR,
            action="request.rewrite_refused",
            object_type="request",
            object_id=row["id"],
            result=AuditResult.FAILURE,
            details={"fields": changed, "version": row["version"]},
        )
    return kept


async def apply_request_records(
    session: AsyncSession, records: Sequence[RequestsStreamRecord]
) -> ApplyOutcome:
    """Versioned upsert of the submitted columns, minus the records that would rewrite a
    write-once field; a request new here also gets its response row (`received`) through
    the ORM, so the user learns that the master has it. Requests whose owner asked to cancel
    them are then stopped (`requests.cancel`)."""
    rows: list[dict[str, Any]] = []
    for record in records:
        # The validated fields as they are (no serialisation pass): the hot path of imports.
        row = dict(record.root.__dict__)
        del row["kind"]
        rows.append(row)
    ids = list(dict.fromkeys(row["id"] for row in rows))
    stored = await _stored(session, ids)
    known = set(stored)
    rows = _refuse_rewrites(session, rows, stored)
    table: Table = Request.__table__  # type: ignore[assignment]
    applied = await versioned_upsert(session=session, table=table, rows=rows)
    session.add_all(
        Response(id=request_id, status=RequestStatus.RECEIVED, answer_number=0)
        for request_id in ids
        if request_id not in known
    )
    await session.flush()
    cancelled = list(dict.fromkeys(row["id"] for row in rows if row["cancel_requested_at"]))
    if cancelled:
        await stop_cancelled_requests(session=session, request_ids=cancelled)
    return ApplyOutcome(applied=applied)


REQUESTS_IN = InboundStream(REQUESTS_STREAM, RequestsStreamRecord, apply_request_records)
