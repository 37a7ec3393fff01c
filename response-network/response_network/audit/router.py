"""`GET /admin/audit` on the response network: the shared route, on this network's table."""

from __future__ import annotations

from response_network.audit.models import AuditEvent
from response_network.deps import require_admin
from shared.platform.audit import audit_router

router = audit_router(AuditEvent, require_admin)
