"""The operations pages both networks mount, in one call so that each console lists them in
the same order under the same names at the same addresses: transfer, audit, alerts, tasks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.audit import AuditEventMixin
from shared.exchange.context import TransferContext
from shared.platform.alerts.models import AlertMixin
from shared.platform.console.alerts import add_alert_pages
from shared.platform.console.audit import add_audit_pages
from shared.platform.console.site import Console
from shared.platform.console.tasks import add_task_pages
from shared.platform.console.transfer import add_transfer_pages


def add_operations_pages(
    console: Console,
    context: Callable[[Any], TransferContext],
    audit: type[AuditEventMixin],
    alerts: type[AlertMixin],
) -> None:
    """`context` builds the network's transfer context from its runtime; `audit` and `alerts`
    are its audit and alert tables."""
    add_transfer_pages(console, context)
    add_audit_pages(console, audit)
    add_alert_pages(console, alerts)
    add_task_pages(console)
