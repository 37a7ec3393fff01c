"""Jobs of the response network: each calls one service function, nothing else."""

from __future__ import annotations

from core.audit import audit_given_up_jobs, register_retention_job
from core.heartbeat import record_heartbeat, worker_name
from core.jobs import JobRegistry
from core.runtime import Runtime
from response_network.alerts.models import TABLES as ALERT_TABLES
from response_network.audit.models import AuditEvent
from response_network.handlers import runtime_handlers
from response_network.operations.models import WorkerHeartbeat
from response_network.requests.flow import (
    answer_due_requests,
    answer_imported_requests,
    poll_due_requests,
)
from response_network.transfer.service import transfer_context
from shared.exchange.jobs import register_transfer_jobs
from shared.platform.alerts.jobs import register_alert_jobs

registry = JobRegistry("response")

ANSWER_POLL_TICK = 1.0
"""The poll job ticks this often and runs every `answer_poll_seconds` (a setting)."""


HEARTBEAT_SECONDS = 10.0
"""Often enough that a started worker and beat show alive within seconds (validate_setup)."""


@registry.job("heartbeat", every=HEARTBEAT_SECONDS)
async def heartbeat(runtime: Runtime) -> None:
    async with runtime.unit_of_work() as uow:
        await record_heartbeat(
            session=uow.session, model=WorkerHeartbeat, worker=worker_name("jobs")
        )


@registry.job("answer_requests")
async def answer_requests(runtime: Runtime) -> None:
    await answer_due_requests(runtime=runtime, handlers=runtime_handlers(runtime))


@registry.job("answer_poll", every=ANSWER_POLL_TICK)
async def answer_poll(runtime: Runtime) -> None:
    await poll_due_requests(runtime=runtime, handlers=runtime_handlers(runtime))


# Import, then answer (`requests.flow`): an import that applied requests starts a run.
register_transfer_jobs(registry, transfer_context, on_imported=answer_imported_requests)
register_alert_jobs(registry, ALERT_TABLES, transfer_context)
register_retention_job(registry, AuditEvent)
audit_given_up_jobs(registry, AuditEvent)
