"""The operator queue: filter, claim, answer (JSON or text), release; over the services behind
`/requests/...` with the same role check (operator and above, `requests:answer`).

No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

import json
import uuid
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi import Request as HttpRequest
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from core.deps import UnitOfWorkDep
from core.errors import Invalid
from response_network.console.deps import ConsoleActor, ConsoleUser
from response_network.deps import JobsDep, SettingsDep
from response_network.requests import service
from response_network.requests.models import Request, RequestStatus
from response_network.requests.schemas import ResponseCreate
from response_network.users.models import Role, User
from shared.platform.console import answers
from shared.platform.console.forms import GENERAL, Blank, validation_errors
from shared.platform.console.paging import PagingDep
from shared.platform.console.session import read_form
from shared.platform.console.site import PREFIX, Console
from shared.scopes import Scope

ANSWER = Scope.REQUESTS_ANSWER


def _response_data(posted: dict[str, str]) -> dict[str, Any]:
    """The form as `POST /requests/{id}/response` takes it: the body is JSON unless `format`
    says text (then a string, sent as text)."""
    data: dict[str, Any] = {"status": posted.get("status", "")}
    if posted.get("reason"):
        data["reason"] = posted["reason"]
    text = posted.get("body", "")
    if text.strip():
        if posted.get("format") == "text":
            data["body"] = text
        else:
            data["body"] = json.loads(text)
    return data


def add_queue_pages(console: Console) -> None:
    page = console.page

    async def queued(request_id: uuid.UUID, uow: UnitOfWorkDep) -> Request:
        return await service.get_request(session=uow.session, request_id=request_id)

    QueuedRequest = Annotated[Request, Depends(queued)]

    @page("/queue", role=Role.OPERATOR, scope=ANSWER, nav="Queue")
    async def queue_page(
        request: HttpRequest,
        user: ConsoleUser,
        uow: UnitOfWorkDep,
        paging: PagingDep,
        status: Annotated[RequestStatus | None, Blank] = None,
        request_type: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Response:
        filters = service.QueueFilters(status=status, request_type=request_type or None)
        items, next_cursor = await service.list_queue(
            session=uow.session, filters=filters, cursor=paging.cursor, limit=paging.limit
        )
        claims = await service.claims_of(session=uow.session, requests=items)
        return console.render(
            request,
            "queue.html",
            user=user,
            items=items,
            claims=claims,
            status=status,
            request_type=request_type or "",
            statuses=RequestStatus,
            pages=paging.links("/queue", next_cursor, status=status, request_type=request_type),
        )

    async def detail(
        request: HttpRequest,
        item: Request,
        user: User,
        uow: Any,
        errors: dict[str, str] | None = None,
        posted: dict[str, str] | None = None,
    ) -> Response:
        claims = await service.claims_of(session=uow.session, requests=[item])
        response = await service.get_response(session=uow.session, request_id=item.id)
        body = response.body if response is not None else None
        return console.render(
            request,
            "queue_request.html",
            status_code=422 if errors else 200,
            user=user,
            item=item,
            claim=claims.get(item.id),
            response=response,
            table=answers.table_of(body),
            text=answers.pretty(body),
            errors=errors or {},
            posted=posted or {},
            GENERAL=GENERAL,
        )

    @page("/queue/{request_id}", role=Role.OPERATOR, scope=ANSWER)
    async def request_page(
        request: HttpRequest, item: QueuedRequest, user: ConsoleUser, uow: UnitOfWorkDep
    ) -> Response:
        return await detail(request, item, user, uow)

    def back(item: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/queue/{item.id}", status_code=303)

    @page("/queue/{request_id}/claim", role=Role.OPERATOR, scope=ANSWER, methods=["POST"])
    async def claim(
        request: HttpRequest,
        item: QueuedRequest,
        user: ConsoleUser,
        actor: ConsoleActor,
        settings: SettingsDep,
        jobs: JobsDep,
        uow: UnitOfWorkDep,
    ) -> Response:
        await read_form(request)
        await service.claim_request(
            session=uow.session,
            jobs=jobs,
            request=item,
            operator=user,
            actor=actor,
            ttl_seconds=settings.claim_ttl_seconds,
        )
        return back(item)

    @page("/queue/{request_id}/release", role=Role.OPERATOR, scope=ANSWER, methods=["POST"])
    async def release(
        request: HttpRequest,
        item: QueuedRequest,
        user: ConsoleUser,
        actor: ConsoleActor,
        jobs: JobsDep,
        uow: UnitOfWorkDep,
    ) -> Response:
        await read_form(request)
        await service.release_request(
            session=uow.session, jobs=jobs, request=item, operator=user, actor=actor
        )
        return back(item)

    @page("/queue/{request_id}/response", role=Role.OPERATOR, scope=ANSWER, methods=["POST"])
    async def respond(
        request: HttpRequest,
        item: QueuedRequest,
        user: ConsoleUser,
        actor: ConsoleActor,
        settings: SettingsDep,
        jobs: JobsDep,
        uow: UnitOfWorkDep,
    ) -> Response:
        posted = await read_form(request)
        try:
            data = ResponseCreate.model_validate(_response_data(posted))
        except ValueError as exc:  # bad JSON, or the API schema's ValidationError
            errors = (
                validation_errors(exc)
                if isinstance(exc, ValidationError)
                else {"body": f"not valid JSON: {exc}"}
            )
            return await detail(request, item, user, uow, errors, posted)
        try:
            await service.respond(
                session=uow.session,
                jobs=jobs,
                request=item,
                operator=user,
                actor=actor,
                data=data,
                max_bytes=settings.max_response_bytes,
            )
        except Invalid as refused:
            return await detail(request, item, user, uow, {GENERAL: refused.detail}, posted)
        return back(item)
