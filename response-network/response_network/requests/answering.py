"""Run a planned request's handler and record its outcome (steps 3 and 4 of `requests.flow`).

The handler runs outside any transaction, within its bounds; the outcome is written in its
own transaction, guarded by the lease: a worker whose lease ran out and was taken over
writes nothing, and a crashed worker's request comes due again when its lease expires. An
answer makes the request `answered`; an error makes it `received` again with a backoff until
the attempts are used up, then `failed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.errors import AirlockError, Invalid
from response_network.handlers import AwaitsOperator, HandlerAnswer, run_handler
from response_network.requests.due import Plan
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
