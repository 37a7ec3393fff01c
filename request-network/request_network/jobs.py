"""Jobs of the request network: each calls one service function, nothing else."""

from __future__ import annotations

from core.heartbeat import register_heartbeat_job
from core.jobs import JobRegistry
from request_network.alerts.models import TABLES as ALERT_TABLES
from request_network.audit.models import AuditEvent
from request_network.operations.models import WorkerHeartbeat
from request_network.transfer.service import transfer_context
from shared.platform.jobs import register_platform_jobs

registry = JobRegistry("request")
register_heartbeat_job(registry, WorkerHeartbeat)
register_platform_jobs(
    registry, context=transfer_context, alert_tables=ALERT_TABLES, audit_model=AuditEvent
)
