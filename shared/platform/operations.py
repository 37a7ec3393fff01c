"""The admin's operations routes both networks serve: transfer, tasks and alerts (the API
side of `shared.platform.console.operations`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from shared.exchange.context import TransferContext
from shared.platform.alerts.api import alerts_router
from shared.platform.alerts.models import AlertMixin
from shared.platform.exchange_api import transfer_router
from shared.platform.tasks.api import tasks_router


def operations_routers(
    context: Callable[[Any], TransferContext],
    alerts: type[AlertMixin],
    *,
    admin: Callable[..., Any],
    actor: Callable[..., Any],
) -> list[APIRouter]:
    """`context` builds the network's transfer context from its runtime, `alerts` is its alert
    table, `admin` requires the admin role and `actor` names who acts."""
    return [
        transfer_router(context, admin, actor),
        tasks_router(admin),
        alerts_router(alerts, admin),
    ]
