"""The response network's alerts (rules and delivery: `shared.platform.alerts`)."""

from __future__ import annotations

from response_network.audit.models import AuditEvent
from response_network.db import Base
from response_network.operations.models import WorkerHeartbeat
from shared.platform.alerts.models import AlertMixin, AlertTables


class Alert(AlertMixin, Base):
    __tablename__ = "alert"


TABLES = AlertTables(alert=Alert, audit=AuditEvent, heartbeat=WorkerHeartbeat)
