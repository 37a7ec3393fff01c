"""`GET /admin/audit`, the same on both networks: the audit trail, newest first, in pages.

Reading only: no route changes or deletes an event (retention is a job, see `core.audit`).
"""

# No `from __future__ import annotations`: FastAPI must see the closure-built dependencies.

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from core.audit import AuditEventMixin, AuditFilters, list_audit_events
from core.deps import UnitOfWorkDep
from core.inputs import DateTimeUtcDefault, Uuid
from core.openapi import api_router
from core.pagination import DEFAULT_PAGE_SIZE, PageSize

NO_NUL = r"^[^\x00]*$"
"""Text no database stores (PostgreSQL refuses NUL) is refused as a filter too."""


_EVENT: dict[str, Any] = {
    "id": "5b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
    "occurred_at": "2026-12-04T09:12:00Z",
    "actor_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "actor_name": "admin",
    "action": "limits.reset",
    "object_type": "user",
    "object_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "client_address": "192.0.2.10",
    "result": "success",
    "details": {"windows": ["minute", "day"]},
}


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_EVENT]})

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


class AuditEventPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_EVENT], "next_cursor": None}]}
    )

    items: list[AuditEventRead]
    next_cursor: str | None
    """Pass it back as `cursor` for the next (older) page; null on the last page."""


Text = Annotated[str | None, Query(max_length=64, pattern=NO_NUL)]


def audit_router(model: type[AuditEventMixin], admin: Callable[..., Any]) -> APIRouter:
    """The route for one network's `model`; `admin` requires the admin role."""
    router = api_router(prefix="/admin/audit", tags=["audit"], dependencies=[Depends(admin)])

    @router.get("", name="list", summary="Audit events, newest first, one page at a time")
    async def list_events(
        uow: UnitOfWorkDep,
        actor_id: Uuid | None = None,
        actor_name: Annotated[str | None, Query(max_length=128, pattern=NO_NUL)] = None,
        action: Text = None,
        object_type: Text = None,
        object_id: Text = None,
        since: Annotated[
            DateTimeUtcDefault | None,
            Query(alias="from", description="Events at or after this time (UTC if no offset)"),
        ] = None,
        until: Annotated[
            DateTimeUtcDefault | None,
            Query(alias="to", description="Events before this time (UTC if no offset)"),
        ] = None,
        cursor: Annotated[str | None, Query(max_length=512, pattern=NO_NUL)] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> AuditEventPage:
        events, next_cursor = await list_audit_events(
            session=uow.session,
            model=model,
            filters=AuditFilters(
                actor_id=actor_id,
                actor_name=actor_name,
                action=action,
                object_type=object_type,
                object_id=object_id,
                since=since,
                until=until,
            ),
            cursor=cursor,
            limit=limit,
        )
        return AuditEventPage(
            items=[AuditEventRead.model_validate(event) for event in events],
            next_cursor=next_cursor,
        )

    return router
