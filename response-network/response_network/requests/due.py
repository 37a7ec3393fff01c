"""Take due requests and plan their runs (step 2 of `requests.flow`).

Puts expired operator claims back in the queue, leases the due requests of automatic types
with one conditional UPDATE (two workers never take one request), and plans each run or
fails the request at once with a reason the user can read: first the re-checks of
`requests.recheck` (owner, profile and grants, type, priority, parameters), then the handler
and attempts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Row, String, Uuid, and_, column, or_, select, update, values
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, AuditResult, record_audit
from core.db import utcnow
from core.errors import Invalid
from response_network.audit.models import AuditEvent
from response_network.catalog.models import RequestType
from response_network.catalog.service import handler_limits
from response_network.handlers import Handler, HandlerLimits, HandlerRegistry
from response_network.requests.models import Request, RequestStatus
from response_network.requests.recheck import (
    CANNOT_ANSWER,
    Owner,
    Refusal,
    load_owners,
    load_types,
    recheck,
)
from response_network.requests.transitions import (
    due_for_handler,
    readable,
    responses_of,
    show_decision,
    show_progress,
)
from response_network.settings import ResponseSettings
from shared.streams import IN_CHUNK

log = structlog.get_logger(__name__)

LEASE_MARGIN_SECONDS = 60.0
"""A lease lasts the handler's time limit plus this: a live worker always finishes first."""
ANSWERING = Actor(id=None, name="answering")


@dataclass(frozen=True)
class Plan:
    """One taken request, ready to run outside the transaction that took it."""

    request_id: uuid.UUID
    attempt: int
    handler: Handler
    parameters: dict[str, Any]
    settings: dict[str, Any]
    limits: HandlerLimits


async def release_expired_claims(*, session: AsyncSession) -> int:
    """Requests an operator claimed (`processing`) and left: back to `received`."""
    now = utcnow()
    expired = and_(
        Request.status == RequestStatus.PROCESSING,
        Request.claimed_by.is_not(None),
        Request.claim_expires_at < now,
    )
    rows = (
        await session.execute(
            update(Request)
            .where(expired)
            .values(
                status=RequestStatus.RECEIVED,
                claimed_by=None,
                claim_expires_at=None,
                updated_at=now,
            )
            .returning(Request.id, Request.request_type)
            .execution_options(synchronize_session=False)
        )
    ).all()
    responses = await responses_of(session, [row.id for row in rows])
    for row in rows:
        show_progress(responses[row.id], RequestStatus.RECEIVED)
        record_audit(
            session=session,
            model=AuditEvent,
            actor=ANSWERING,
            action="request.claim_expired",
            object_type="request",
            object_id=row.id,
            details={"request_type": row.request_type},
        )
    await session.flush()
    return len(rows)


def _plan(
    row: Row[Any],
    item: RequestType | Invalid | None,
    owner: Owner | None,
    handlers: HandlerRegistry,
    settings: ResponseSettings,
) -> Plan | Refusal:
    """What to run for a taken request, or why it fails at once (the re-checks first)."""
    refusal = recheck(
        owner=owner,
        item=item,
        request_type=row.request_type,
        priority=row.priority,
        parameters=row.parameters,
    )
    if refusal is not None:
        return refusal
    assert isinstance(item, RequestType)
    assert owner is not None
    try:
        handler = handlers.get(item.handler)
    except Invalid:
        return Refusal(
            "handler", f"the {item.handler} handler of {item.name!r} is not installed here"
        )
    if row.attempts > settings.answer_max_attempts:
        return Refusal(
            "attempts",
            f"the {handler.name} handler did not finish after "
            f"{settings.answer_max_attempts} attempts (its worker stopped)",
        )
    return Plan(
        request_id=row.id,
        attempt=row.attempts,
        handler=handler,
        parameters=row.parameters,
        settings=item.handler_settings,
        limits=handler_limits(settings, item, owner.profile),
    )


def _plan_or_refuse(
    row: Row[Any],
    item: RequestType | Invalid | None,
    owner: Owner | None,
    handlers: HandlerRegistry,
    settings: ResponseSettings,
) -> Plan | Refusal:
    """`_plan`, but whatever one request raises fails that request, not the whole run."""
    try:
        return _plan(row, item, owner, handlers, settings)
    except Exception as exc:
        log.exception("request_plan_crashed", request_id=str(row.id))
        return Refusal("error", f"{CANNOT_ANSWER}: checking it failed ({type(exc).__name__})")


async def take_due_requests(
    *, session: AsyncSession, handlers: HandlerRegistry, settings: ResponseSettings
) -> tuple[list[Plan], int]:
    """Lease the due requests of automatic types (highest priority, oldest first) and plan
    their runs; returns the plans and how many failed at once."""
    now = utcnow()
    due = due_for_handler(now, settings.answer_max_attempts)
    manual = [name for name in handlers.names() if not handlers.get(name).automatic]
    candidates = list(
        await session.scalars(
            select(Request.id)
            .outerjoin(RequestType, RequestType.name == Request.request_type)
            .where(due)
            .where(
                or_(
                    RequestType.id.is_(None),
                    RequestType.deleted_at.is_not(None),
                    RequestType.active.is_(False),
                    RequestType.handler.not_in(manual),
                )
            )
            .order_by(Request.priority.desc(), Request.submitted_at, Request.id)
            .limit(settings.answer_batch_size)
        )
    )
    if not candidates:
        return [], 0
    lease = now + timedelta(seconds=settings.handler_timeout_seconds + LEASE_MARGIN_SECONDS)
    # The condition is checked again by the UPDATE itself: a request another worker leased
    # since the SELECT is skipped, never run twice.
    taken = (
        await session.execute(
            update(Request)
            .where(Request.id.in_(candidates), due)
            .values(
                status=RequestStatus.PROCESSING,
                attempts=Request.attempts + 1,
                claimed_by=None,
                claim_expires_at=lease,
                next_attempt_at=None,
                updated_at=now,
            )
            .returning(
                Request.id,
                Request.request_type,
                Request.parameters,
                Request.owner_id,
                Request.priority,
                Request.attempts,
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    types = await load_types(session, {row.request_type for row in taken})
    owners = await load_owners(session, {row.owner_id for row in taken})
    responses = await responses_of(session, [row.id for row in taken])
    plans: list[Plan] = []
    failed: list[tuple[uuid.UUID, str]] = []
    for row in taken:
        plan = _plan_or_refuse(
            row, types.get(row.request_type), owners.get(row.owner_id), handlers, settings
        )
        if isinstance(plan, Plan):
            plans.append(plan)
            show_progress(responses[row.id], RequestStatus.PROCESSING)
            continue
        reason = readable(plan.reason)
        failed.append((row.id, reason))
        show_decision(responses[row.id], RequestStatus.FAILED, by=None, at=now, reason=reason)
        record_audit(
            session=session,
            model=AuditEvent,
            actor=ANSWERING,
            action="request.recheck_failed",
            object_type="request",
            object_id=row.id,
            result=AuditResult.FAILURE,
            details={"request_type": row.request_type, "check": plan.check, "reason": reason},
        )
    await _fail_at_once(session=session, failed=failed, now=now)
    await session.flush()
    return plans, len(failed)


async def _fail_at_once(
    *, session: AsyncSession, failed: Sequence[tuple[uuid.UUID, str]], now: datetime
) -> None:
    """The taken requests that cannot run become `failed`, each with its own reason: one
    UPDATE joined to a VALUES list per `IN_CHUNK` requests, whatever their number."""
    for start in range(0, len(failed), IN_CHUNK):
        # UPDATE ... FROM (SQLite 3.33+, PostgreSQL): a join by key, not a CASE per row.
        reasons = (
            values(column("id", Uuid), column("reason", String), name="failed")
            .data(list(failed[start : start + IN_CHUNK]))
            .cte("failed")
        )
        await session.execute(
            update(Request)
            .where(Request.id == reasons.c.id)
            .values(
                status=RequestStatus.FAILED,
                status_reason=reasons.c.reason,
                claim_expires_at=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    for request_id, _ in failed:
        log.info("request_failed", request_id=str(request_id), reason="cannot_run")
