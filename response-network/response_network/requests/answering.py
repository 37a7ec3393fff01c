"""Automated answers: take due requests, run their handlers, write the answer or a retry.

A run takes up to `answer_batch_size` due requests with one conditional UPDATE (a lease:
two workers never run one request) and commits, runs their handlers concurrently outside any
transaction, then writes each outcome in its own transaction, guarded by the lease: a worker
whose lease ran out and was taken over writes nothing. A crashed worker's requests come due
again when the lease expires. Requests that can no longer run (type deleted or deactivated,
parameters no longer fit the schema) fail at once with a reason the user can read.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, record_audit
from core.db import utcnow
from core.errors import AirlockError, Invalid
from core.runtime import Runtime
from response_network.audit.models import AuditEvent
from response_network.catalog.models import Profile, RequestType
from response_network.catalog.service import handler_limits, runnable_request_type
from response_network.handlers import (
    AwaitsOperator,
    Handler,
    HandlerAnswer,
    HandlerLimits,
    HandlerRegistry,
    run_handler,
)
from response_network.requests.models import Request, RequestStatus
from response_network.requests.transitions import (
    due_for_handler,
    readable,
    responses_of,
    show_decision,
    show_progress,
)
from response_network.settings import ResponseSettings
from response_network.users.models import User
from shared.parameters import check_parameters

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


@dataclass(frozen=True)
class Outcome:
    answer: HandlerAnswer | None = None
    error: str | None = None
    """What went wrong, in words a user can read (never a traceback or SQL)."""
    final: bool = False
    """The error cannot go away by retrying (the handler refused the parameters)."""
    hand_over: bool = False
    """The handler leaves the request to an operator."""


@dataclass
class AnsweringRun:
    taken: int = 0
    answered: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    """Expired operator claims on `processing` requests, put back in the queue."""

    @property
    def changed(self) -> bool:
        return bool(self.taken or self.released)


def retry_delay(settings: ResponseSettings, attempt: int) -> float:
    """Exponential backoff: base, 2 x base, 4 x base ... capped at the maximum."""
    delay: float = settings.answer_retry_base_seconds * 2 ** (attempt - 1)
    return min(delay, settings.answer_retry_max_seconds)


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


async def _runnable_types(
    session: AsyncSession, names: set[str]
) -> dict[str, RequestType | Invalid]:
    found: dict[str, RequestType | Invalid] = {}
    for name in names:
        try:
            found[name] = await runnable_request_type(session=session, name=name)
        except Invalid as exc:
            found[name] = exc
    return found


async def _owner_profiles(
    session: AsyncSession, owner_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Profile]:
    rows = await session.execute(
        select(User.id, Profile)
        .join(Profile, Profile.name == User.profile)
        .where(User.id.in_(owner_ids))
    )
    return {row[0]: row[1] for row in rows}


def _plan(
    row: Row[Any],
    item: RequestType | Invalid | None,
    profile: Profile | None,
    handlers: HandlerRegistry,
    settings: ResponseSettings,
) -> Plan | str:
    """What to run for a taken request, or why it fails at once."""
    if item is None or isinstance(item, Invalid):
        detail = item.detail if item is not None else f"no request type {row.request_type!r}"
        return f"this request can no longer be answered: {detail}"
    try:
        handler = handlers.get(item.handler)
    except Invalid:
        return f"the {item.handler} handler of {item.name!r} is not installed here"
    try:
        check_parameters(item.parameter_schema, row.parameters)
    except Invalid as exc:
        return f"the parameters no longer fit the request type {item.name!r}: {exc.detail}"
    if row.attempts > settings.answer_max_attempts:
        return (
            f"the {handler.name} handler did not finish after "
            f"{settings.answer_max_attempts} attempts (its worker stopped)"
        )
    return Plan(
        request_id=row.id,
        attempt=row.attempts,
        handler=handler,
        parameters=row.parameters,
        settings=item.handler_settings,
        limits=handler_limits(settings, item, profile),
    )


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
                Request.attempts,
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    types = await _runnable_types(session, {row.request_type for row in taken})
    profiles = await _owner_profiles(session, {row.owner_id for row in taken})
    responses = await responses_of(session, [row.id for row in taken])
    plans: list[Plan] = []
    failed: list[tuple[uuid.UUID, str]] = []
    for row in taken:
        plan = _plan(
            row, types.get(row.request_type), profiles.get(row.owner_id), handlers, settings
        )
        if isinstance(plan, Plan):
            plans.append(plan)
            show_progress(responses[row.id], RequestStatus.PROCESSING)
        else:
            failed.append((row.id, plan))
            show_decision(responses[row.id], RequestStatus.FAILED, by=None, at=now, reason=plan)
    for request_id, reason in failed:
        await session.execute(
            update(Request)
            .where(Request.id == request_id)
            .values(
                status=RequestStatus.FAILED,
                status_reason=readable(reason),
                claim_expires_at=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        log.info("request_failed", request_id=str(request_id), reason="cannot_run")
    await session.flush()
    return plans, len(failed)


async def run_plan(plan: Plan) -> Outcome:
    """Run the handler within its bounds; never raises for what the handler did."""
    try:
        answer = await run_handler(
            handler=plan.handler,
            parameters=plan.parameters,
            settings=plan.settings,
            limits=plan.limits,
        )
    except AwaitsOperator:
        return Outcome(hand_over=True)
    except Invalid as exc:
        return Outcome(error=exc.detail, final=True)
    except AirlockError as exc:
        return Outcome(error=exc.detail)
    except Exception as exc:
        log.warning(
            "handler_crashed",
            request_id=str(plan.request_id),
            handler=plan.handler.name,
            error=type(exc).__name__,
            exc_info=True,
        )
        return Outcome(error=f"an unexpected error in the handler ({type(exc).__name__})")
    return Outcome(answer=answer)


def _request_values(
    plan: Plan, outcome: Outcome, settings: ResponseSettings, now: datetime
) -> tuple[RequestStatus, dict[str, Any]]:
    cleared: dict[str, Any] = {"claim_expires_at": None, "next_attempt_at": None, "updated_at": now}
    name = plan.handler.name
    if outcome.answer is not None:
        return RequestStatus.ANSWERED, cleared | {"status_reason": None}
    if outcome.hand_over:
        # Attempts used up: the worker leaves it alone, an operator claims and answers it.
        reason = f"the {name} handler leaves this request to an operator"
        return RequestStatus.RECEIVED, cleared | {
            "status_reason": reason,
            "attempts": settings.answer_max_attempts,
        }
    if outcome.final:
        reason = f"the {name} handler refused the request: {outcome.error}"
        return RequestStatus.FAILED, cleared | {"status_reason": readable(reason)}
    if plan.attempt >= settings.answer_max_attempts:
        reason = (
            f"the {name} handler could not answer after {plan.attempt} attempts: {outcome.error}"
        )
        return RequestStatus.FAILED, cleared | {"status_reason": readable(reason)}
    reason = f"attempt {plan.attempt} of {settings.answer_max_attempts} failed: {outcome.error}"
    retry_at = now + timedelta(seconds=retry_delay(settings, plan.attempt))
    return RequestStatus.RECEIVED, cleared | {
        "status_reason": readable(reason),
        "next_attempt_at": retry_at,
    }


async def record_outcome(
    *, session: AsyncSession, plan: Plan, outcome: Outcome, settings: ResponseSettings
) -> RequestStatus | None:
    """Write the outcome if this run still holds the request; None if it lost the lease."""
    now = utcnow()
    status, values = _request_values(plan, outcome, settings, now)
    held = await session.execute(
        update(Request)
        .where(
            Request.id == plan.request_id,
            Request.status == RequestStatus.PROCESSING,
            Request.claimed_by.is_(None),
            Request.attempts == plan.attempt,
        )
        .values(status=status, **values)
        .returning(Request.id)
        .execution_options(synchronize_session=False)
    )
    if held.first() is None:
        log.warning("answer_discarded_lease_lost", request_id=str(plan.request_id))
        return None
    response = (await responses_of(session, [plan.request_id]))[plan.request_id]
    by = f"handler:{plan.handler.name}"
    if outcome.answer is not None:
        show_decision(
            response,
            status,
            by=by,
            at=now,
            body=outcome.answer.body,
            content_type=outcome.answer.content_type,
        )
    elif status == RequestStatus.FAILED:
        show_decision(response, status, by=by, at=now, reason=values["status_reason"])
    else:
        show_progress(response, status)
    await session.flush()
    log.info(
        "request_handled",
        request_id=str(plan.request_id),
        handler=plan.handler.name,
        attempt=plan.attempt,
        status=status.value,
    )
    return status


async def _answer(runtime: Runtime, settings: ResponseSettings, plan: Plan) -> RequestStatus | None:
    outcome = await run_plan(plan)
    try:
        async with runtime.unit_of_work() as uow:
            return await record_outcome(
                session=uow.session, plan=plan, outcome=outcome, settings=settings
            )
    except Exception:
        # The lease runs out and the request comes due again: nothing is lost.
        log.exception("answer_not_recorded", request_id=str(plan.request_id))
        return None


async def answer_due_requests(*, runtime: Runtime, handlers: HandlerRegistry) -> AnsweringRun:
    """One answering run; exports what changed at once and asks for another run while a
    full batch suggests more are due."""
    settings = runtime.settings
    assert isinstance(settings, ResponseSettings)
    run = AnsweringRun()
    async with runtime.unit_of_work() as uow:
        run.released = await release_expired_claims(session=uow.session)
        plans, run.failed = await take_due_requests(
            session=uow.session, handlers=handlers, settings=settings
        )
    run.taken = len(plans) + run.failed
    for status in await asyncio.gather(*(_answer(runtime, settings, plan) for plan in plans)):
        if status == RequestStatus.ANSWERED:
            run.answered += 1
        elif status == RequestStatus.FAILED:
            run.failed += 1
        elif status == RequestStatus.RECEIVED:
            run.retrying += 1
    if run.changed:
        await runtime.jobs.enqueue("transfer_export")
    if run.taken >= settings.answer_batch_size:
        await runtime.jobs.enqueue("answer_requests")
    return run


POLL_KEY = "answering:poll"


async def poll_due_requests(*, runtime: Runtime, handlers: HandlerRegistry) -> AnsweringRun | None:
    """Answer due requests at most once per `answer_poll_seconds` across all workers (the
    schedule ticks every second; the interval is a setting, read at run time)."""
    settings = runtime.settings
    assert isinstance(settings, ResponseSettings)
    if await runtime.cache.incr(POLL_KEY, ttl=settings.answer_poll_seconds) > 1:
        return None
    return await answer_due_requests(runtime=runtime, handlers=handlers)
