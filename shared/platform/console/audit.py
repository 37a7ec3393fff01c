"""The audit page, for either network: the trail newest first, filtered by actor, action,
object and time range, in keyset pages (`paging.py`); over `list_audit_events`, the service of
`GET /admin/audit`, with the same admin check and the same filter limits.

No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from core.audit import AuditEventMixin, AuditFilters, list_audit_events
from core.deps import UnitOfWorkDep
from core.errors import Invalid
from shared.platform.audit import NO_NUL
from shared.platform.console.forms import validation_errors
from shared.platform.console.paging import PageLinks, PagingDep
from shared.platform.console.site import Console
from shared.principals import Role
from shared.scopes import Scope

FIELDS = ("actor_name", "action", "object_type", "object_id", "since", "until")


class AuditQuery(BaseModel):
    """The filters of `GET /admin/audit`, with its limits; an empty field filters nothing."""

    actor_name: str | None = Field(None, max_length=128, pattern=NO_NUL)
    action: str | None = Field(None, max_length=64, pattern=NO_NUL)
    object_type: str | None = Field(None, max_length=64, pattern=NO_NUL)
    object_id: str | None = Field(None, max_length=64, pattern=NO_NUL)
    since: datetime | None = None
    until: datetime | None = None


Text = Annotated[str, Query(max_length=1000)]


def add_audit_pages(console: Console, model: type[AuditEventMixin]) -> None:
    """`/console/audit` over the network's audit table `model`."""
    User = Annotated[Any, Depends(console.identity.user)]

    @console.page("/audit", role=Role.ADMIN, scope=Scope.ADMIN, nav="Audit")
    async def audit_page(
        request: HttpRequest,
        user: User,
        uow: UnitOfWorkDep,
        paging: PagingDep,
        actor_name: Text = "",
        action: Text = "",
        object_type: Text = "",
        object_id: Text = "",
        since: Annotated[str, Query(alias="from", max_length=64)] = "",
        until: Annotated[str, Query(alias="to", max_length=64)] = "",
    ) -> Response:
        values = (actor_name, action, object_type, object_id, since, until)
        given = dict(zip(FIELDS, values, strict=True))
        events: list[Any] = []
        pages: PageLinks | None = None
        errors: dict[str, str] = {}
        try:
            query = AuditQuery.model_validate({k: v for k, v in given.items() if v})
            events, next_cursor = await list_audit_events(
                session=uow.session,
                model=model,
                filters=AuditFilters(**query.model_dump()),
                cursor=paging.cursor,
                limit=paging.limit,
            )
        except ValidationError as exc:
            errors = validation_errors(exc)
        except Invalid as refused:
            if refused.code != "invalid.time_range":
                raise
            errors = {"until": refused.detail}
        else:
            named = {"since": "from", "until": "to"}
            kept = {named.get(name, name): value for name, value in given.items()}
            pages = paging.links("/audit", next_cursor, **kept)
        return console.render(
            request,
            "audit.html",
            status_code=422 if errors else 200,
            user=user,
            events=events,
            given=given,
            errors=errors,
            pages=pages,
            paged=paging.cursor is not None,
        )
