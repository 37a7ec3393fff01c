"""Failed requests (admins): filter by type and reason, retry one, retry every one a filter
matches; over the retry services behind `POST /admin/requests/{id}/retry` and
`POST /admin/requests/retry` (audited there), with the same admin check.

No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query
from fastapi import Request as HttpRequest
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from core.deps import UnitOfWorkDep
from response_network.console.deps import ConsoleActor, ConsoleUser
from response_network.deps import JobsDep
from response_network.requests import retry, service
from response_network.requests.schemas import RetryFilter
from response_network.users.models import Role
from shared.platform.console.forms import validation_errors
from shared.platform.console.paging import FIRST_PAGE, Paging, PagingDep
from shared.platform.console.session import read_form
from shared.platform.console.site import PREFIX, Console
from shared.scopes import Scope

Filter = Annotated[str | None, Query(max_length=200)]


def add_failed_pages(console: Console) -> None:
    page = console.page

    async def failed_view(
        request: HttpRequest,
        user: object,
        uow: UnitOfWorkDep,
        request_type: str | None,
        reason: str | None,
        *,
        paging: Paging = FIRST_PAGE,
        message: str | None = None,
        errors: dict[str, str] | None = None,
    ) -> Response:
        filters = retry.RetryFilters(request_type=request_type, reason=reason)
        items, next_cursor = await retry.list_failed_requests(
            session=uow.session, filters=filters, cursor=paging.cursor, limit=paging.limit
        )
        return console.render(
            request,
            "failed.html",
            status_code=422 if errors else 200,
            user=user,
            items=items,
            request_type=request_type or "",
            reason=reason or "",
            message=message,
            errors=errors or {},
            pages=paging.links("/failed", next_cursor, request_type=request_type, reason=reason),
        )

    @page("/failed", role=Role.ADMIN, scope=Scope.ADMIN, nav="Failed requests")
    async def failed_page(
        request: HttpRequest,
        user: ConsoleUser,
        uow: UnitOfWorkDep,
        paging: PagingDep,
        request_type: Filter = None,
        reason: Filter = None,
        retried: Annotated[int | None, Query(ge=0)] = None,
        skipped: Annotated[int | None, Query(ge=0)] = None,
    ) -> Response:
        message = None
        if retried is not None:
            message = f"Retried {retried} request(s); skipped {skipped or 0}."
        return await failed_view(
            request, user, uow, request_type or None, reason or None, paging=paging, message=message
        )

    @page("/failed/{request_id}/retry", role=Role.ADMIN, scope=Scope.ADMIN, methods=["POST"])
    async def retry_one(
        request: HttpRequest,
        request_id: uuid.UUID,
        actor: ConsoleActor,
        jobs: JobsDep,
        uow: UnitOfWorkDep,
    ) -> Response:
        await read_form(request)
        item = await service.get_request(session=uow.session, request_id=request_id)
        await retry.retry_request(session=uow.session, jobs=jobs, request=item, actor=actor)
        query = urlencode({"retried": 1, "skipped": 0})
        return RedirectResponse(f"{PREFIX}/failed?{query}", status_code=303)

    @page("/failed/retry", role=Role.ADMIN, scope=Scope.ADMIN, methods=["POST"])
    async def retry_matching(
        request: HttpRequest,
        user: ConsoleUser,
        actor: ConsoleActor,
        jobs: JobsDep,
        uow: UnitOfWorkDep,
    ) -> Response:
        posted = await read_form(request)
        given = {k: v for k, v in posted.items() if k in ("request_type", "reason") and v}
        try:
            data = RetryFilter.model_validate(given)
        except ValidationError as exc:
            return await failed_view(
                request,
                user,
                uow,
                None,
                None,
                errors=validation_errors(exc),
            )
        outcome = await retry.retry_failed_requests(
            session=uow.session,
            jobs=jobs,
            filters=retry.RetryFilters(**data.model_dump(exclude={"limit"})),
            actor=actor,
            limit=data.limit,
        )
        query = urlencode({**given, "retried": outcome.retried, "skipped": outcome.skipped})
        return RedirectResponse(f"{PREFIX}/failed?{query}", status_code=303)
