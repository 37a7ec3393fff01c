"""`GET /admin/audit` on the request network: the shared route, on this network's table."""

from __future__ import annotations

from request_network.audit.models import AuditEvent
from request_network.deps import require_admin
from shared.platform.audit import audit_router

router = audit_router(AuditEvent, require_admin)
