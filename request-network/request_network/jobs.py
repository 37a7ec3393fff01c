"""Jobs of the request network: each calls one service function, nothing else."""

from __future__ import annotations

from core.audit import audit_given_up_jobs, register_retention_job
from core.heartbeat import record_heartbeat, worker_name
from core.jobs import JobRegistry
from request_network.alerts.models import TABLES as ALERT_TABLES
from request_network.audit.models import AuditEvent
from request_network.operations.models import WorkerHeartbeat
from request_network.runtime import RequestRuntime
from request_network.transfer.service import transfer_context
from shared.exchange.jobs import register_transfer_jobs
from shared.platform.alerts.jobs import register_alert_jobs

registry = JobRegistry("request")


HEARTBEAT_SECONDS = 10.0
"""Often enough that a started worker and beat show alive within seconds (validate_setup)."""


@registry.job("heartbeat", every=HEARTBEAT_SECONDS)
async def heartbeat(runtime: RequestRuntime) -> None:
    async with runtime.unit_of_work() as uow:
        await record_heartbeat(
            session=uow.session, model=WorkerHeartbeat, worker=worker_name("jobs")
        )


register_transfer_jobs(registry, transfer_context)
register_alert_jobs(registry, ALERT_TABLES, transfer_context)
register_retention_job(registry, AuditEvent)
audit_given_up_jobs(registry, AuditEvent)
