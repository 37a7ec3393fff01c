"""The request network's alerts (rules and delivery: `shared.platform.alerts`)."""

from __future__ import annotations

from request_network.audit.models import AuditEvent
from request_network.db import Base
from request_network.operations.models import WorkerHeartbeat
from shared.platform.alerts.models import AlertMixin, AlertTables


class Alert(AlertMixin, Base):
    __tablename__ = "alert"


TABLES = AlertTables(alert=Alert, audit=AuditEvent, heartbeat=WorkerHeartbeat)
