"""An admin's retry of failed requests: one by id, or every one a filter matches.

A retried request goes back to `received` with its attempts counted afresh, so the
answering run takes it again (or, for a manual type, it is back in the operator queue); its
response row shows `received`, which the `responses` stream carries to the request network.
`retries` counts the retries; each one is audited as `request.retry` with the failure it
ended (when it failed, the reason, the attempts used): the audit log is the history of a
request's attempts. A request whose type was deleted or deactivated is not retried: it
would only fail again.

The bulk retry takes at most `MAX_RETRY_PER_CALL` requests (oldest failure first) and writes
one conditional UPDATE per chunk; its answer says whether more matched.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, record_audit
from core.db import after_commit, utcnow
from core.errors import Conflict
from core.jobs import JobRunner
from core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decode_cursor, encode_cursor
from response_network.audit.models import AuditEvent
from response_network.catalog.models import RequestType
from response_network.requests.models import Request, RequestStatus
from response_network.requests.recheck import load_types
from response_network.requests.transitions import responses_of, show_progress
from shared.streams import IN_CHUNK

MAX_RETRY_PER_CALL = 1000
"""The most requests one bulk retry takes; the answer says when more matched."""


@dataclass(frozen=True)
class RetryFilters:
    """Which failed requests a bulk retry takes; every given bound must hold."""

    request_type: str | None = None
    failed_from: datetime | None = None
    """When it failed (its last change), from inclusive; `failed_to` exclusive."""
    failed_to: datetime | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    reason: str | None = None
    """A substring of the failure's reason, case-insensitive."""


@dataclass(frozen=True)
class BulkRetry:
    retried: int
    skipped: int
    """Matched, but their type is deleted or inactive (they would fail again)."""
    limit: int
    more: bool
    """More failed requests matched than `limit`: call again for the next ones."""


def _filters(filters: RetryFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Request.status == RequestStatus.FAILED]
    if filters.request_type is not None:
        conditions.append(Request.request_type == filters.request_type)
    if filters.failed_from is not None:
        conditions.append(Request.updated_at >= filters.failed_from)
    if filters.failed_to is not None:
        conditions.append(Request.updated_at < filters.failed_to)
    if filters.received_from is not None:
        conditions.append(Request.received_at >= filters.received_from)
    if filters.received_to is not None:
        conditions.append(Request.received_at < filters.received_to)
    if filters.reason is not None:
        # lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
        conditions.append(
            func.lower(Request.status_reason).contains(filters.reason.lower(), autoescape=True)
        )
    return conditions


def _runnable_type() -> ColumnElement[bool]:
    return and_(RequestType.deleted_at.is_(None), RequestType.active.is_(True))


def _export_and_answer_soon(session: AsyncSession, jobs: JobRunner) -> None:
    async def enqueue() -> None:
        await jobs.enqueue("transfer_export")
        await jobs.enqueue("answer_requests")

    after_commit(session, enqueue)


_RESET: dict[str, Any] = {
    "status": RequestStatus.RECEIVED,
    "status_reason": None,
    "attempts": 0,
    "next_attempt_at": None,
    "claimed_by": None,
    "claim_expires_at": None,
}


async def _reset(session: AsyncSession, ids: list[uuid.UUID], now: datetime) -> set[uuid.UUID]:
    """Reset the requests among `ids` that are still failed, with one UPDATE."""
    rows = await session.scalars(
        update(Request)
        .where(Request.id.in_(ids), Request.status == RequestStatus.FAILED)
        .values(**_RESET, retries=Request.retries + 1, updated_at=now)
        .returning(Request.id)
        .execution_options(synchronize_session=False)
    )
    return set(rows.all())


async def _failures(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    rows = await session.execute(
        select(
            Request.id,
            Request.request_type,
            Request.status_reason,
            Request.attempts,
            Request.updated_at,
        ).where(Request.id.in_(ids), Request.status == RequestStatus.FAILED)
    )
    return {row.id: row for row in rows}


async def _retry(session: AsyncSession, ids: list[uuid.UUID], actor: Actor) -> int:
    """Retry the failed requests among `ids`: reset them, show them `received` and audit
    each retry with the failure it ends."""
    now = utcnow()
    failures = await _failures(session, ids)
    # Only what the UPDATE reset: one changed since the SELECT (answered, say) is left alone.
    reset = await _reset(session, list(failures), now)
    retried = [request_id for request_id in failures if request_id in reset]
    responses = await responses_of(session, retried)
    for request_id in retried:
        failure = failures[request_id]
        show_progress(responses[request_id], RequestStatus.RECEIVED)
        record_audit(
            session=session,
            model=AuditEvent,
            actor=actor,
            action="request.retry",
            object_type="request",
            object_id=request_id,
            details={
                "request_type": failure.request_type,
                "failed_at": failure.updated_at.isoformat(),
                "reason": failure.status_reason,
                "attempts": failure.attempts,
            },
        )
    await session.flush()
    return len(retried)


async def retry_request(
    *, session: AsyncSession, jobs: JobRunner, request: Request, actor: Actor
) -> Request:
    """Retry one failed request. Not failed: 409 `conflict.not_failed`; its type deleted or
    inactive: 409 `conflict.request_type` with the reason; nothing is changed then."""
    if request.status != RequestStatus.FAILED:
        raise Conflict(
            f"request {request.id} is {request.status}, not failed: only failed requests "
            "are retried",
            code="conflict.not_failed",
            extra={"status": request.status},
        )
    found = (await load_types(session, [request.request_type]))[request.request_type]
    if not isinstance(found, RequestType):
        raise Conflict(
            f"request {request.id} cannot be retried: {found.detail}",
            code="conflict.request_type",
            extra={"request_type": request.request_type},
        )
    if await _retry(session, [request.id], actor) == 0:
        raise Conflict(
            f"request {request.id} changed meanwhile; it is no longer failed",
            code="conflict.not_failed",
        )
    _export_and_answer_soon(session, jobs)
    await session.refresh(request)
    return request


async def retry_failed_requests(
    *,
    session: AsyncSession,
    jobs: JobRunner,
    filters: RetryFilters,
    actor: Actor,
    limit: int = MAX_RETRY_PER_CALL,
) -> BulkRetry:
    """Retry up to `limit` failed requests matching `filters`, oldest failure first."""
    limit = max(1, min(limit, MAX_RETRY_PER_CALL))
    conditions = _filters(filters)
    matched = list(
        (
            await session.execute(
                select(Request.id, RequestType.id.is_not(None) & _runnable_type())
                .outerjoin(RequestType, RequestType.name == Request.request_type)
                .where(*conditions)
                .order_by(Request.updated_at, Request.id)
                .limit(limit + 1)
            )
        ).all()
    )
    more = len(matched) > limit
    matched = matched[:limit]
    runnable = [row[0] for row in matched if row[1]]
    retried = 0
    for start in range(0, len(runnable), IN_CHUNK):
        retried += await _retry(session, runnable[start : start + IN_CHUNK], actor)
    record_audit(
        session=session,
        model=AuditEvent,
        actor=actor,
        action="request.retry_bulk",
        object_type="request",
        object_id=None,
        details={
            "filters": {k: _plain(v) for k, v in vars(filters).items() if v is not None},
            "retried": retried,
            "skipped": len(matched) - len(runnable),
            "more": more,
        },
    )
    if retried:
        _export_and_answer_soon(session, jobs)
    return BulkRetry(retried=retried, skipped=len(matched) - len(runnable), limit=limit, more=more)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def list_failed_requests(
    *,
    session: AsyncSession,
    filters: RetryFilters,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> tuple[list[Request], str | None]:
    """The failed requests `filters` match, oldest failure first, as a bulk retry with the
    same filters takes them (the console lists them before an admin retries): one page and
    the next page's cursor."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    statement = (
        select(Request)
        .where(*_filters(filters))
        .order_by(Request.updated_at, Request.id)
        .limit(limit + 1)
    )
    if cursor is not None:
        at, last_id = decode_cursor(cursor)
        statement = statement.where(
            or_(Request.updated_at > at, and_(Request.updated_at == at, Request.id > last_id))
        )
    rows = list((await session.scalars(statement)).all())
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, encode_cursor(page[-1].updated_at, page[-1].id)
