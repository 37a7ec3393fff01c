"""Jobs of the response network: each calls one service function, nothing else."""

from __future__ import annotations

from collections.abc import Sequence

from core.audit import audit_given_up_jobs, register_retention_job
from core.heartbeat import record_heartbeat, worker_name
from core.jobs import JobRegistry
from response_network.alerts.models import TABLES as ALERT_TABLES
from response_network.audit.models import AuditEvent
from response_network.operations.models import WorkerHeartbeat
from response_network.requests.answering import answer_due_requests, poll_due_requests
from response_network.requests.stream import REQUESTS
from response_network.runtime import ResponseRuntime
from response_network.transfer.service import transfer_context
from shared.exchange.importing import ImportResult
from shared.exchange.jobs import register_transfer_jobs
from shared.platform.alerts.jobs import register_alert_jobs

registry = JobRegistry("response")

ANSWER_POLL_TICK = 1.0
"""The poll job ticks this often and runs every `answer_poll_seconds` (a setting)."""


HEARTBEAT_SECONDS = 10.0
"""Often enough that a started worker and beat show alive within seconds (validate_setup)."""


@registry.job("heartbeat", every=HEARTBEAT_SECONDS)
async def heartbeat(runtime: ResponseRuntime) -> None:
    async with runtime.unit_of_work() as uow:
        await record_heartbeat(
            session=uow.session, model=WorkerHeartbeat, worker=worker_name("jobs")
        )


@registry.job("answer_requests")
async def answer_requests(runtime: ResponseRuntime) -> None:
    await answer_due_requests(runtime=runtime, handlers=runtime.handlers)


@registry.job("answer_poll", every=ANSWER_POLL_TICK)
async def answer_poll(runtime: ResponseRuntime) -> None:
    await poll_due_requests(runtime=runtime, handlers=runtime.handlers)


async def answer_new_requests(runtime: ResponseRuntime, results: Sequence[ImportResult]) -> None:
    """New requests are answered at once, not at the next poll."""
    if any(result.stream == REQUESTS and result.applied for result in results):
        await runtime.jobs.enqueue("answer_requests")


register_transfer_jobs(registry, transfer_context, on_imported=answer_new_requests)
register_alert_jobs(registry, ALERT_TABLES, transfer_context)
register_retention_job(registry, AuditEvent)
audit_given_up_jobs(registry, AuditEvent)
