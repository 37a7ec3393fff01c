"""The jobs every network runs besides its own: the transfer's, alert evaluation, audit
retention and the audit of the tasks its workers give up."""

from __future__ import annotations

from collections.abc import Callable

from core.audit import AuditEventMixin, audit_given_up_jobs, register_retention_job
from core.jobs import JobRegistry
from shared.exchange.context import TransferContext
from shared.exchange.jobs import OnImported, register_transfer_jobs
from shared.platform.alerts.jobs import register_alert_jobs
from shared.platform.alerts.models import AlertTables
from shared.platform.runtime import RuntimeT


def register_platform_jobs(
    registry: JobRegistry,
    *,
    context: Callable[[RuntimeT], TransferContext],
    alert_tables: AlertTables,
    audit_model: type[AuditEventMixin],
    on_imported: OnImported[RuntimeT] | None = None,
) -> None:
    register_transfer_jobs(registry, context, on_imported=on_imported)
    register_alert_jobs(registry, alert_tables, context)
    register_retention_job(registry, audit_model)
    audit_given_up_jobs(registry, audit_model)
