"""`GET /admin/audit`: the audit trail, newest first."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from response_network.audit import service
from response_network.audit.schemas import AuditEventPage, AuditEventRead
from response_network.deps import UnitOfWorkDep, require_admin
from response_network.schemas import NO_NUL

router = APIRouter(prefix="/admin/audit", tags=["audit"], dependencies=[Depends(require_admin)])


@router.get("", name="list", summary="Audit events, newest first, one page at a time")
async def list_events(
    uow: UnitOfWorkDep,
    action: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    actor_id: uuid.UUID | None = None,
    object_id: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    cursor: Annotated[str | None, Query(max_length=512, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditEventPage:
    events, next_cursor = await service.list_audit_events(
        session=uow.session,
        filters=service.AuditFilters(action=action, actor_id=actor_id, object_id=object_id),
        cursor=cursor,
        limit=limit,
    )
    return AuditEventPage(
        items=[AuditEventRead.model_validate(e) for e in events], next_cursor=next_cursor
    )
