"""The user portal: the types one may submit (a form per type, generated from its schema),
one's requests with their status history and answers, their downloads, cancel, quota, and
one's API keys (read-only: they are managed on the response network).

Every page calls the service behind its API route with the same role and scope check
(`console.page(..., scope=...)`), so the console and the API cannot disagree.
No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

import json
import uuid
from typing import Annotated, Any

from fastapi import Path
from fastapi import Request as HttpRequest
from fastapi.responses import RedirectResponse, Response

from core.db import utcnow
from core.deps import RateLimiterDep, UnitOfWorkDep
from core.errors import Invalid, NotFound, RateLimited
from request_network.api_keys import service as api_keys_service
from request_network.catalog import service as catalog_service
from request_network.catalog.models import RequestType
from request_network.console.deps import ConsoleUser
from request_network.deps import RuntimeDep, SettingsDep
from request_network.requests import cancel, limits, service
from request_network.requests.models import UNANSWERED, Request, RequestStatus
from request_network.requests.schemas import RequestCreate
from request_network.responses import service as responses_service
from request_network.users.models import User
from shared.platform.console import answers
from shared.platform.console.forms import (
    JSON_FIELD,
    Blank,
    FilledForm,
    attach_errors,
    error_field,
    field_message,
    fields_of,
    fill,
)
from shared.platform.console.paging import PagingDep
from shared.platform.console.session import read_form
from shared.platform.console.site import PREFIX, Console
from shared.scopes import Scope

READ, WRITE = Scope.REQUESTS_READ, Scope.REQUESTS_WRITE
TypeName = Annotated[str, Path(min_length=1, max_length=64)]
POLL_SECONDS = 3


async def _submittable(session: Any, user: User, name: str) -> RequestType:
    for request_type in await catalog_service.submittable_types(session=session, user=user):
        if request_type.name == name:
            return request_type
    raise NotFound("no such request type you may submit", code="not_found.request_type")


async def _answer(runtime: Any, session: Any, user: User, request: Request) -> Any | None:
    """The answer's JSON (`ResponseRead`), read as `GET /requests/{id}/response` reads it."""
    if request.status not in responses_service.ANSWER_STATUSES:
        return None
    served = await responses_service.read_answer(
        session=session, cache=runtime.response_cache, viewer=user, request_id=request.id
    )
    return json.loads(served.body)


def add_portal_pages(console: Console) -> None:
    page = console.page

    @page("/types", scope=READ, nav="Submit a request")
    async def types_page(request: HttpRequest, user: ConsoleUser, uow: UnitOfWorkDep) -> Response:
        types = await catalog_service.submittable_types(session=uow.session, user=user)
        return console.render(request, "types.html", user=user, types=types)

    def submit_page(
        request: HttpRequest, user: User, request_type: RequestType, form: FilledForm, status: int
    ) -> Response:
        attach_errors(form)
        return console.render(
            request,
            "submit.html",
            user=user,
            status_code=status,
            request_type=request_type,
            form=form,
        )

    @page("/types/{name}", scope=READ)
    async def submit_form(
        request: HttpRequest, name: TypeName, user: ConsoleUser, uow: UnitOfWorkDep
    ) -> Response:
        request_type = await _submittable(uow.session, user, name)
        form = FilledForm(fields_of(request_type.parameter_schema), {}, {})
        return submit_page(request, user, request_type, form, 200)

    @page("/types/{name}", scope=WRITE, methods=["POST"])
    async def submit(
        request: HttpRequest,
        name: TypeName,
        user: ConsoleUser,
        uow: UnitOfWorkDep,
        limiter: RateLimiterDep,
        settings: SettingsDep,
        runtime: RuntimeDep,
    ) -> Response:
        posted = await read_form(request)
        request_type = await _submittable(uow.session, user, name)
        form = fill(request_type.parameter_schema, posted)
        if not form.errors:
            try:
                submission = await service.submit(
                    session=uow.session,
                    catalog=runtime.catalog,
                    limiter=limiter,
                    owner=user,
                    data=RequestCreate(request_type=name, parameters=form.parameters),
                    max_parameter_bytes=settings.max_parameter_bytes,
                    jobs=runtime.jobs,
                )
            except (Invalid, RateLimited) as refused:
                # The API's refusal, shown next to the field it names.
                field = refused.extra.get("field")
                path = field if isinstance(field, str) else None
                where = error_field(form, path, refused.detail)
                # The JSON textarea keeps the path: it is the only hint where the error is.
                message = refused.detail if where == JSON_FIELD else None
                form.errors[where] = message or field_message(refused.detail, path)
            else:
                target = f"{PREFIX}/requests/{submission.request.id}"
                return RedirectResponse(target, status_code=303)
        return submit_page(request, user, request_type, form, 422)

    @page("/requests", scope=READ, nav="My requests")
    async def requests_page(
        request: HttpRequest,
        user: ConsoleUser,
        uow: UnitOfWorkDep,
        paging: PagingDep,
        status: Annotated[RequestStatus | None, Blank] = None,
    ) -> Response:
        items, next_cursor = await service.list_requests(
            session=uow.session,
            viewer=user,
            filters=service.RequestFilters(status=status),
            cursor=paging.cursor,
            limit=paging.limit,
        )
        return console.render(
            request,
            "requests.html",
            user=user,
            requests=items,
            status=status,
            statuses=RequestStatus,
            pages=paging.links("/requests", next_cursor, status=status),
        )

    async def owned(uow: Any, user: User, request_id: uuid.UUID) -> Request:
        return await service.get_request(session=uow.session, viewer=user, request_id=request_id)

    @page("/requests/{request_id}", scope=READ)
    async def request_page(
        request: HttpRequest,
        request_id: uuid.UUID,
        user: ConsoleUser,
        uow: UnitOfWorkDep,
        runtime: RuntimeDep,
    ) -> Response:
        item = await owned(uow, user, request_id)
        history = await service.request_history(session=uow.session, request_id=item.id)
        answer = await _answer(runtime, uow.session, user, item)
        body = answer["body"] if answer else None
        return console.render(
            request,
            "request.html",
            user=user,
            item=item,
            history=history,
            answer=answer,
            table=answers.table_of(body),
            text=answers.pretty(body),
            live=item.status in UNANSWERED,
            poll_seconds=POLL_SECONDS,
        )

    @page("/requests/{request_id}/status", scope=READ)
    async def status_fragment(
        request: HttpRequest, request_id: uuid.UUID, user: ConsoleUser, uow: UnitOfWorkDep
    ) -> Response:
        item = await owned(uow, user, request_id)
        history = await service.request_history(session=uow.session, request_id=item.id)
        live = item.status in UNANSWERED
        response = console.render(
            request,
            "request_status.html",
            user=user,
            item=item,
            history=history,
            live=live,
            poll_seconds=POLL_SECONDS,
        )
        if not live:
            response.headers["HX-Refresh"] = "true"  # final: reload once to show the answer
        return response

    @page("/requests/{request_id}/answer.{kind}", scope=READ)
    async def download(
        request_id: uuid.UUID,
        kind: Annotated[str, Path(pattern="^(json|csv)$")],
        user: ConsoleUser,
        uow: UnitOfWorkDep,
        runtime: RuntimeDep,
    ) -> Response:
        item = await owned(uow, user, request_id)
        answer = await _answer(runtime, uow.session, user, item)
        if answer is None:
            raise NotFound("the request has no answer yet", code="not_answered")
        name = f"answer-{item.id}.{kind}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if kind == "csv":
            return Response(answers.csv_of(answer["body"]), media_type="text/csv", headers=headers)
        content = json.dumps(answer["body"], indent=2, ensure_ascii=False)
        return Response(content, media_type="application/json", headers=headers)

    @page("/requests/{request_id}/cancel", scope=WRITE, methods=["POST"])
    async def cancel_page(
        request: HttpRequest,
        request_id: uuid.UUID,
        user: ConsoleUser,
        uow: UnitOfWorkDep,
        runtime: RuntimeDep,
    ) -> Response:
        await read_form(request)
        await cancel.cancel_request(
            session=uow.session, owner=user, request_id=request_id, jobs=runtime.jobs
        )
        return RedirectResponse(f"{PREFIX}/requests/{request_id}", status_code=303)

    @page("/limits", scope=READ, nav="My quota")
    async def limits_page(
        request: HttpRequest, user: ConsoleUser, uow: UnitOfWorkDep, limiter: RateLimiterDep
    ) -> Response:
        quota = await limits.read_limits(session=uow.session, limiter=limiter, user=user)
        return console.render(request, "limits.html", user=user, quota=quota)

    @page("/keys", scope=Scope.API_KEYS, nav="My API keys")
    async def keys_page(request: HttpRequest, user: ConsoleUser, uow: UnitOfWorkDep) -> Response:
        # The master's `GET /users/me/api-keys`, read from the replica (same scope).
        keys = await api_keys_service.list_api_keys(session=uow.session, owner_id=user.id)
        return console.render(request, "api_keys.html", user=user, keys=keys, now=utcnow())
