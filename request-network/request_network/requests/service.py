"""Submitting, listing and monitoring requests: plain async functions, session first."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import after_commit, utcnow
from core.errors import AirlockError, Conflict, Invalid, NotFound
from core.jobs import JobRunner
from core.pagination import decode_cursor, encode_cursor
from core.ratelimit import RateDecision, RateLimiter
from request_network.catalog.cache import CatalogCache
from request_network.catalog.service import admissible_type
from request_network.requests.limits import admit_submission
from request_network.requests.models import (
    UNANSWERED,
    Request,
    RequestEvent,
    RequestStatus,
)
from request_network.requests.schemas import RequestCreate
from request_network.users.models import Role, User
from shared.access import check_priority
from shared.changes import insert_new
from shared.parameters import check_parameters, parameter_bytes
from shared.platform import monitor
from shared.platform.monitor import Monitor
from shared.principals import ensure_owner_or_admin


@dataclass(frozen=True)
class Submission:
    request: Request
    created: bool
    """False when an `Idempotency-Key` replay returned the first request."""
    rate: RateDecision | None = None


@dataclass(frozen=True)
class RequestFilters:
    status: RequestStatus | None = None
    request_type: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def request_hash(data: RequestCreate) -> str:
    # The canonical form keeps the field's old name `kind`: stored hashes were computed with
    # it, and a replay of a request submitted before the rename must still match.
    canonical = json.dumps(
        {"kind": data.request_type, "parameters": data.parameters, "priority": data.priority},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _by_key(session: AsyncSession, owner: User, key: str) -> Request | None:
    return await session.scalar(
        select(Request).where(Request.owner_id == owner.id, Request.idempotency_key == key)
    )


def _replay(existing: Request, digest: str) -> Submission:
    if existing.request_hash != digest:
        raise Conflict(
            "this Idempotency-Key was used for a different request",
            code="conflict.idempotency_key",
            extra={"request_id": str(existing.id)},
        )
    return Submission(existing, created=False)


async def submit(
    *,
    session: AsyncSession,
    catalog: CatalogCache,
    limiter: RateLimiter,
    owner: User,
    data: RequestCreate,
    idempotency_key: str | None = None,
    max_parameter_bytes: int,
    jobs: JobRunner | None = None,
) -> Submission:
    """Check, rate-limit and store a request as `pending`; a replayed key returns the first.

    A replay (same key, same body) is neither re-checked nor counted against the limits.
    A submission refused for its priority or by the type's schema has been counted: the
    checks cost CPU, so sending refused submissions uses up the sender's quota like
    admitted ones do.
    With `jobs`, the export runs as soon as the request is committed, not at the next tick.
    The profile, type and grants come from `catalog` (kept until the next `catalog` import).
    """
    size = parameter_bytes(data.parameters)
    if size > max_parameter_bytes:
        raise Invalid(
            f"the parameters take {size} bytes, more than the {max_parameter_bytes} allowed",
            code="invalid.parameters_size",
        )
    digest = request_hash(data)
    if idempotency_key is not None:
        existing = await _by_key(session, owner, idempotency_key)
        if existing is not None:
            return _replay(existing, digest)
    view = await catalog.view(session)
    profile = await view.profile(owner.profile)
    request_type = await admissible_type(
        catalog=view,
        user=owner,
        request_type=data.request_type,
        parameters=data.parameters,
        profile=profile,
        parameter_size=size,
    )
    rate = await admit_submission(
        catalog=view,
        limiter=limiter,
        profile=profile,
        user=owner,
        request_type=request_type.name,
    )
    try:
        check_priority(
            profile=profile, limit_overrides=owner.limit_overrides, priority=data.priority
        )
        check_parameters(request_type.parameter_schema, data.parameters)
    except AirlockError as refused:
        refused.headers.update(rate.headers())
        raise
    now = utcnow()
    request = Request(
        id=uuid.uuid4(),
        owner_id=owner.id,
        request_type=request_type.name,
        type_version=request_type.version,
        parameters=data.parameters,
        priority=data.priority,
        status=RequestStatus.PENDING,
        idempotency_key=idempotency_key,
        request_hash=digest,
        created_at=now,
        updated_at=now,
    )
    event = RequestEvent(request_id=request.id, status=RequestStatus.PENDING, at=now)
    if idempotency_key is None:
        # Nothing to race for without a key: no savepoint (two round trips of six).
        await insert_new(session, [request, event])
        if jobs is not None:
            after_commit(session, _export_soon(jobs))
        return Submission(request, created=True, rate=rate)
    try:
        async with session.begin_nested():
            await insert_new(session, [request, event])
    except IntegrityError:
        # A concurrent submission with the same key committed first: answer as a replay.
        existing = await _by_key(session, owner, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return _replay(existing, digest)
    if jobs is not None:
        after_commit(session, _export_soon(jobs))
    return Submission(request, created=True, rate=rate)


def _export_soon(jobs: JobRunner) -> Callable[[], Awaitable[None]]:
    async def export() -> None:
        await jobs.enqueue("transfer_export")

    return export


async def get_request(*, session: AsyncSession, viewer: User, request_id: uuid.UUID) -> Request:
    """The request, if `viewer` owns it or is an admin; else `not_found.request`."""
    missing = NotFound("no such request", code="not_found.request")
    request = await session.get(Request, request_id)
    if request is None:
        raise missing
    ensure_owner_or_admin(viewer, request.owner_id, missing=missing)
    return request


async def request_history(*, session: AsyncSession, request_id: uuid.UUID) -> list[RequestEvent]:
    events = await session.scalars(
        select(RequestEvent)
        .where(RequestEvent.request_id == request_id)
        .order_by(RequestEvent.at, RequestEvent.id)
    )
    return list(events.all())


async def list_requests(
    *,
    session: AsyncSession,
    viewer: User,
    filters: RequestFilters,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Request], str | None]:
    """The viewer's requests (an admin's: everyone's), newest first, one page at a time."""
    statement = (
        select(Request).order_by(Request.created_at.desc(), Request.id.desc()).limit(limit + 1)
    )
    if viewer.role != Role.ADMIN:
        statement = statement.where(Request.owner_id == viewer.id)
    if filters.status is not None:
        statement = statement.where(Request.status == filters.status)
    if filters.request_type is not None:
        statement = statement.where(Request.request_type == filters.request_type)
    if filters.created_from is not None:
        statement = statement.where(Request.created_at >= filters.created_from)
    if filters.created_to is not None:
        statement = statement.where(Request.created_at < filters.created_to)
    if cursor is not None:
        at, last_id = decode_cursor(cursor)
        statement = statement.where(
            or_(Request.created_at < at, and_(Request.created_at == at, Request.id < last_id))
        )
    requests = list((await session.scalars(statement)).all())
    if len(requests) <= limit:
        return requests, None
    page = requests[:limit]
    return page, encode_cursor(page[-1].created_at, page[-1].id)


async def monitor_requests(*, session: AsyncSession) -> Monitor[RequestStatus]:
    """Requests per status and how long the oldest unanswered one has waited."""
    return await monitor.monitor_requests(
        session=session,
        status=Request.status,
        statuses=RequestStatus,
        since=Request.created_at,
        unanswered=UNANSWERED,
    )
