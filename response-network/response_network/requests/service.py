"""The operator queue: list, claim, release and answer requests; monitor the backlog.

Claims and answers are conditional UPDATEs (the condition is re-checked by the database), so
two operators, or an operator and a worker, never hold or answer one request at once. Every
status change updates the response row in the same transaction; nothing is written when a
check fails. A request that fails its re-check (`requests.recheck`: owner, profile, type,
priority, parameters) cannot be claimed or answered, only failed or rejected.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, record_audit
from core.db import after_commit, utcnow
from core.errors import Conflict, NotFound, PayloadTooLarge
from core.jobs import JobRunner
from core.pagination import (
    decode_position,
    encode_position,
    position_id,
    position_time,
    refuse_cursor,
)
from response_network.audit.models import AuditEvent
from response_network.requests.cancel import refuse_cancelled
from response_network.requests.models import UNANSWERED, Request, RequestStatus
from response_network.requests.recheck import recheck_request, refuse_operator
from response_network.requests.schemas import ResponseCreate
from response_network.requests.transitions import (
    claim_free,
    claim_held_by,
    responses_of,
    show_decision,
    show_progress,
)
from response_network.responses.models import Response
from response_network.users.models import Role, User
from shared.platform import monitor
from shared.platform.monitor import Monitor

HANDLER_HOLDER = "handler"
"""How a worker's lease is named to operators."""


@dataclass(frozen=True)
class QueueFilters:
    status: RequestStatus | None = None
    """None: the unanswered ones (`received`, `processing`)."""
    request_type: str | None = None
    owner_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Claim:
    holder: str
    holder_id: uuid.UUID | None
    expires_at: datetime


def _export_soon(session: AsyncSession, jobs: JobRunner) -> None:
    """The change leaves in the next batch at once, not at the next scheduled export."""

    async def export() -> None:
        await jobs.enqueue("transfer_export")

    after_commit(session, export)


async def get_request(*, session: AsyncSession, request_id: uuid.UUID) -> Request:
    request = await session.get(Request, request_id)
    if request is None:
        raise NotFound(f"no request {request_id}", code="not_found.request")
    return request


async def get_response(*, session: AsyncSession, request_id: uuid.UUID) -> Response | None:
    return await session.get(Response, request_id)


def _queue_position(cursor: str) -> ColumnElement[bool]:
    position = decode_position(cursor, keys=frozenset({"priority", "at", "id"}))
    try:
        priority = int(position["priority"])
    except ValueError as exc:
        raise refuse_cursor() from exc
    at, last_id = position_time(position["at"]), position_id(position["id"])
    return or_(
        Request.priority < priority,
        and_(Request.priority == priority, Request.submitted_at > at),
        and_(Request.priority == priority, Request.submitted_at == at, Request.id > last_id),
    )


async def list_queue(
    *, session: AsyncSession, filters: QueueFilters, cursor: str | None = None, limit: int = 50
) -> tuple[list[Request], str | None]:
    """Highest priority first, then oldest first; one page and the next page's cursor."""
    statement = (
        select(Request)
        .order_by(Request.priority.desc(), Request.submitted_at, Request.id)
        .limit(limit + 1)
    )
    if filters.status is None:
        statement = statement.where(Request.status.in_(UNANSWERED))
    else:
        statement = statement.where(Request.status == filters.status)
    if filters.request_type is not None:
        statement = statement.where(Request.request_type == filters.request_type)
    if filters.owner_id is not None:
        statement = statement.where(Request.owner_id == filters.owner_id)
    if cursor is not None:
        statement = statement.where(_queue_position(cursor))
    requests = list((await session.scalars(statement)).all())
    if len(requests) <= limit:
        return requests, None
    page = requests[:limit]
    last = page[-1]
    return page, encode_position(
        {"priority": str(last.priority), "at": last.submitted_at.isoformat(), "id": str(last.id)}
    )


async def claims_of(*, session: AsyncSession, requests: list[Request]) -> dict[uuid.UUID, Claim]:
    """The live claims (or worker leases) on these requests, holders named."""
    now = utcnow()
    held = [r for r in requests if r.claim_expires_at is not None and r.claim_expires_at >= now]
    holder_ids = {r.claimed_by for r in held if r.claimed_by is not None}
    names: dict[uuid.UUID, str] = {}
    if holder_ids:
        rows = await session.execute(select(User.id, User.username).where(User.id.in_(holder_ids)))
        names = {row.id: row.username for row in rows}
    claims: dict[uuid.UUID, Claim] = {}
    for request in held:
        assert request.claim_expires_at is not None
        holder = (
            HANDLER_HOLDER
            if request.claimed_by is None
            else names.get(request.claimed_by, str(request.claimed_by))
        )
        claims[request.id] = Claim(holder, request.claimed_by, request.claim_expires_at)
    return claims


async def _claimed_elsewhere(session: AsyncSession, request: Request) -> Conflict:
    claim = (await claims_of(session=session, requests=[request])).get(request.id)
    if claim is None:  # released meanwhile: the caller may simply try again
        return Conflict("the request changed meanwhile; try again", code="conflict.claimed")
    holder = "its handler" if claim.holder == HANDLER_HOLDER else claim.holder
    until = claim.expires_at.isoformat(timespec="seconds")
    return Conflict(
        f"{holder} holds this request until {until}",
        code="conflict.claimed",
        extra={"holder": claim.holder, "expires_at": until},
    )


def _not_claimed(request: Request) -> Conflict:
    return Conflict(
        f"request {request.id} is not claimed; claim it first", code="conflict.not_claimed"
    )


def _held_by(request: Request, user: User, now: datetime) -> bool:
    return (
        request.claimed_by == user.id
        and request.claim_expires_at is not None
        and request.claim_expires_at >= now
    )


def _free(request: Request, now: datetime) -> bool:
    return request.claim_expires_at is None or request.claim_expires_at < now


async def _conditional_update(
    session: AsyncSession,
    request: Request,
    condition: ColumnElement[bool],
    values: dict[str, Any],
) -> bool:
    """Apply `values` if the request still is as seen and `condition` holds; then reload."""
    result = await session.execute(
        update(Request)
        .where(Request.id == request.id, Request.status == request.status, condition)
        .values(**values)
        .returning(Request.id)
        .execution_options(synchronize_session=False)
    )
    changed = result.first() is not None
    if changed:
        await session.refresh(request)
    return changed


async def _mirror(session: AsyncSession, request: Request, status: RequestStatus) -> None:
    response = (await responses_of(session, [request.id]))[request.id]
    show_progress(response, status)
    await session.flush()


def _audit(
    session: AsyncSession, actor: Actor, action: str, request: Request, **details: Any
) -> None:
    record_audit(
        session=session,
        model=AuditEvent,
        actor=actor,
        action=action,
        object_type="request",
        object_id=request.id,
        details={"request_type": request.request_type, **details},
    )


async def claim_request(
    *,
    session: AsyncSession,
    jobs: JobRunner,
    request: Request,
    operator: User,
    actor: Actor,
    ttl_seconds: int,
) -> Claim:
    """Hold the request for `ttl_seconds` (claiming again extends it). A `received` request
    moves to `processing`; a decided one keeps its status, so it can be answered again."""
    refuse_cancelled(request)
    now = utcnow()
    if not (_free(request, now) or _held_by(request, operator, now)):
        raise await _claimed_elsewhere(session, request)
    refusal = await recheck_request(session=session, request=request)
    if refusal is not None:
        raise refuse_operator(refusal)
    before = RequestStatus(request.status)
    after = RequestStatus.PROCESSING if before == RequestStatus.RECEIVED else before
    expires = now + timedelta(seconds=ttl_seconds)
    changed = await _conditional_update(
        session,
        request,
        or_(claim_free(now), Request.claimed_by == operator.id),
        {
            "claimed_by": operator.id,
            "claim_expires_at": expires,
            "status": after,
            "updated_at": now,
        },
    )
    if not changed:
        await session.refresh(request)
        refuse_cancelled(request)
        raise await _claimed_elsewhere(session, request)
    if after != before:
        await _mirror(session, request, after)
        _export_soon(session, jobs)
    _audit(
        session, actor, "request.claim", request, status=after.value, expires_at=expires.isoformat()
    )
    return Claim(operator.username, operator.id, expires)


async def release_request(
    *, session: AsyncSession, jobs: JobRunner, request: Request, operator: User, actor: Actor
) -> Request:
    """Give the claim up (the claimer, or an admin for anyone's): a request in `processing`
    goes back to `received`, where its handler (if automatic) or another operator takes it."""
    now = utcnow()
    if _free(request, now):
        raise _not_claimed(request)
    mine = request.claimed_by == operator.id
    if request.claimed_by is None or not (mine or operator.role == Role.ADMIN):
        raise await _claimed_elsewhere(session, request)
    before = RequestStatus(request.status)
    after = RequestStatus.RECEIVED if before == RequestStatus.PROCESSING else before
    holder = request.claimed_by
    changed = await _conditional_update(
        session,
        request,
        claim_held_by(holder, now),
        {"claimed_by": None, "claim_expires_at": None, "status": after, "updated_at": now},
    )
    if not changed:
        await session.refresh(request)
        raise _not_claimed(request)
    if after != before:
        await _mirror(session, request, after)
        _export_soon(session, jobs)
    _audit(session, actor, "request.release", request, status=after.value, holder=str(holder))
    return request


def body_bytes(body: Any) -> int:
    if isinstance(body, str):
        return len(body.encode())
    return len(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())


async def respond(
    *,
    session: AsyncSession,
    jobs: JobRunner,
    request: Request,
    operator: User,
    actor: Actor,
    data: ResponseCreate,
    max_bytes: int,
) -> Response:
    """Answer, fail or reject the request: its claimer may, and an admin without a claim
    when nobody else holds it. The claim ends; an answer counts in `answer_number`."""
    size = 0 if data.body is None else body_bytes(data.body)
    if size > max_bytes:
        raise PayloadTooLarge(
            f"the response body has {size} bytes, more than the {max_bytes} allowed",
            code="payload_too_large.response",
        )
    refuse_cancelled(request)
    now = utcnow()
    if _held_by(request, operator, now):
        condition = claim_held_by(operator.id, now)
    elif operator.role == Role.ADMIN and _free(request, now):
        condition = claim_free(now)
    elif _free(request, now):
        raise _not_claimed(request)
    else:
        raise await _claimed_elsewhere(session, request)
    status = RequestStatus(data.status)
    if status == RequestStatus.ANSWERED:
        refusal = await recheck_request(session=session, request=request)
        if refusal is not None:
            raise refuse_operator(refusal)
    changed = await _conditional_update(
        session,
        request,
        condition,
        {
            "status": status,
            "status_reason": data.reason if status != RequestStatus.ANSWERED else None,
            "claimed_by": None,
            "claim_expires_at": None,
            "next_attempt_at": None,
            "updated_at": now,
        },
    )
    if not changed:
        await session.refresh(request)
        refuse_cancelled(request)
        raise await _claimed_elsewhere(session, request)
    response = (await responses_of(session, [request.id]))[request.id]
    show_decision(
        response,
        status,
        by=operator.username,
        at=now,
        reason=data.reason if status != RequestStatus.ANSWERED else None,
        body=data.body,
        content_type=data.resolved_content_type,
    )
    await session.flush()
    _audit(
        session,
        actor,
        "request.respond",
        request,
        status=status.value,
        answer_number=response.answer_number,
        content_type=response.content_type,
        bytes=size,
    )
    _export_soon(session, jobs)
    return response


async def monitor_requests(*, session: AsyncSession) -> Monitor[RequestStatus]:
    """Requests per status and how long the oldest undecided one has waited."""
    return await monitor.monitor_requests(
        session=session,
        status=Request.status,
        statuses=RequestStatus,
        since=Request.submitted_at,
        unanswered=UNANSWERED,
    )
