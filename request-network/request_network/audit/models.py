"""The request network's audit trail (append-only)."""

from __future__ import annotations

from core.audit import AuditEventMixin
from request_network.db import Base


class AuditEvent(AuditEventMixin, Base):
    __tablename__ = "audit_event"
