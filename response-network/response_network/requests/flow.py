"""Import, then answer: the way of a request through the master, in order.

1. **Imported.** The `transfer_import` job verifies a `requests` batch and applies it in one
   transaction (`shared.exchange.importing`), chunk by chunk through the stream's
   `apply_request_records` (`requests.stream`): a versioned upsert that refuses rewrites of
   what was submitted and gives each new request its `received` response row. An import run
   that applied requests calls `answer_imported_requests`, which enqueues `answer_requests`:
   new requests are answered at once, not at the next poll.
2. **Planned.** `answer_due_requests` (the `answer_requests` job; `answer_poll` runs it every
   `answer_poll_seconds`) puts expired operator claims back in the queue, leases the due
   requests and re-checks each against the master's users and catalog (`requests.due`,
   `requests.recheck`), in one transaction: one that can no longer be answered fails there,
   with a reason the user can read.
3. **Run by its handler.** The planned requests run concurrently, outside any transaction,
   within the catalog's bounds (`requests.answering.run_plan`).
4. **Recorded.** Each outcome is written in its own transaction while this run still holds
   the lease (`requests.answering.record_outcome`): answered, failed, or received again with
   a time for the next attempt.
5. **Exported.** Every status change above also changed the request's `response` row, which
   is tracked (`shared.changes`): if the run changed anything it enqueues `transfer_export`,
   so the answers leave at once; a full batch enqueues another run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from core.runtime import Runtime
from response_network.handlers import HandlerRegistry
from response_network.requests.answering import record_outcome, run_plan
from response_network.requests.due import Plan, release_expired_claims, take_due_requests
from response_network.requests.models import RequestStatus
from response_network.settings import ResponseSettings
from shared.exchange.importing import ImportResult
from shared.streams import REQUESTS_STREAM

log = structlog.get_logger(__name__)

POLL_KEY = "answering:poll"


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


async def answer_imported_requests(
    runtime: Runtime[ResponseSettings], results: Sequence[ImportResult]
) -> None:
    """1 -> 2: after an import run, answer the requests it applied without waiting for a poll."""
    if any(result.stream == REQUESTS_STREAM and result.applied for result in results):
        await runtime.jobs.enqueue("answer_requests")


async def answer_due_requests(
    *, runtime: Runtime[ResponseSettings], handlers: HandlerRegistry
) -> AnsweringRun:
    """One answering run: steps 2 to 5."""
    settings = runtime.settings
    run = AnsweringRun()
    async with runtime.unit_of_work() as uow:
        run.released = await release_expired_claims(session=uow.session)
        plans, run.failed = await take_due_requests(
            session=uow.session, handlers=handlers, settings=settings
        )
    run.taken = len(plans) + run.failed
    for status in await asyncio.gather(*(_run_and_record(runtime, settings, p) for p in plans)):
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


async def _run_and_record(
    runtime: Runtime[ResponseSettings], settings: ResponseSettings, plan: Plan
) -> RequestStatus | None:
    """Steps 3 and 4 for one request; None if nothing was recorded."""
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


async def poll_due_requests(
    *, runtime: Runtime[ResponseSettings], handlers: HandlerRegistry
) -> AnsweringRun | None:
    """Answer due requests at most once per `answer_poll_seconds` across all workers (the
    schedule ticks every second; the interval is a setting, read at run time)."""
    settings = runtime.settings
    if await runtime.cache.incr(POLL_KEY, ttl=settings.answer_poll_seconds) > 1:
        return None
    return await answer_due_requests(runtime=runtime, handlers=handlers)
