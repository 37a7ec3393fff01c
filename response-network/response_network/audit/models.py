"""The response network's audit trail (append-only)."""

from __future__ import annotations

from core.audit import AuditEventMixin
from response_network.db import Base


class AuditEvent(AuditEventMixin, Base):
    __tablename__ = "audit_event"
