"""Jobs of the response network: each calls one service function, nothing else."""

from __future__ import annotations

from core.heartbeat import register_heartbeat_job
from core.jobs import JobRegistry
from response_network.alerts.models import TABLES as ALERT_TABLES
from response_network.audit.models import AuditEvent
from response_network.operations.models import WorkerHeartbeat
from response_network.requests.flow import (
    answer_due_requests,
    answer_imported_requests,
    poll_due_requests,
)
from response_network.runtime import ResponseRuntime
from response_network.transfer.service import transfer_context
from shared.platform.jobs import register_platform_jobs

registry = JobRegistry("response")

ANSWER_POLL_TICK = 1.0
"""The poll job ticks this often and runs every `answer_poll_seconds` (a setting)."""


register_heartbeat_job(registry, WorkerHeartbeat)


@registry.job("answer_requests")
async def answer_requests(runtime: ResponseRuntime) -> None:
    await answer_due_requests(runtime=runtime, handlers=runtime.handlers)


@registry.job("answer_poll", every=ANSWER_POLL_TICK)
async def answer_poll(runtime: ResponseRuntime) -> None:
    await poll_due_requests(runtime=runtime, handlers=runtime.handlers)


# Import, then answer (`requests.flow`): an import that applied requests starts a run.
register_platform_jobs(
    registry,
    context=transfer_context,
    alert_tables=ALERT_TABLES,
    audit_model=AuditEvent,
    on_imported=answer_imported_requests,
)
