"""Audit events as admins read them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from response_network.schemas import Schema


class AuditEventRead(Schema):
    id: uuid.UUID
    occurred_at: datetime
    actor_id: uuid.UUID | None
    actor_name: str
    action: str
    object_type: str
    object_id: str | None
    client_address: str | None
    result: str
    details: dict[str, Any] | None


class AuditEventPage(Schema):
    items: list[AuditEventRead]
    next_cursor: str | None
