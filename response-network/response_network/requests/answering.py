"""Automated answers: take due requests, run their handlers, write the answer or a retry.

A run takes up to `answer_batch_size` due requests with one conditional UPDATE (a lease:
two workers never run one request) and commits, runs their handlers concurrently outside any
transaction, then writes each outcome in its own transaction, guarded by the lease: a worker
whose lease ran out and was taken over writes nothing. A crashed worker's requests come due
again when the lease expires. Requests that can no longer run (type deleted or deactivated,
parameters no longer fit the schema) fail at once with a reason the user can read. Taking
and planning live in `requests.due`; running and recording the outcomes here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.errors import AirlockError, Invalid
from core.runtime import Runtime
from response_network.handlers import AwaitsOperator, HandlerAnswer, HandlerRegistry, run_handler
from response_network.requests.due import Plan, release_expired_claims, take_due_requests
from response_network.requests.models import Request, RequestStatus
from response_network.requests.transitions import (
    readable,
    responses_of,
    show_decision,
    show_progress,
)
from response_network.settings import ResponseSettings

log = structlog.get_logger(__name__)


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


async def _answer(
    runtime: Runtime[ResponseSettings], settings: ResponseSettings, plan: Plan
) -> RequestStatus | None:
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


async def answer_due_requests(
    *, runtime: Runtime[ResponseSettings], handlers: HandlerRegistry
) -> AnsweringRun:
    """One answering run; exports what changed at once and asks for another run while a
    full batch suggests more are due."""
    settings = runtime.settings
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


async def poll_due_requests(
    *, runtime: Runtime[ResponseSettings], handlers: HandlerRegistry
) -> AnsweringRun | None:
    """Answer due requests at most once per `answer_poll_seconds` across all workers (the
    schedule ticks every second; the interval is a setting, read at run time)."""
    settings = runtime.settings
    if await runtime.cache.incr(POLL_KEY, ttl=settings.answer_poll_seconds) > 1:
        return None
    return await answer_due_requests(runtime=runtime, handlers=handlers)
