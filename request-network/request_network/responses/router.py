"""`GET /requests/{id}/response`: HTTP only; the service decides."""

from __future__ import annotations

from fastapi import Request as HttpRequest
from fastapi.responses import Response

from core.deps import SECURITY_REQUIREMENTS, declare_scope
from core.inputs import Uuid
from core.openapi import api_router
from request_network.deps import request_user
from request_network.responses import service
from request_network.responses.schemas import ResponseRead
from request_network.runtime import RequestRuntime
from shared.scopes import Scope

router = api_router(tags=["responses"])


@router.get(
    "/requests/{request_id}/response",
    name="read",
    summary="The answer to your request (cached); your first read delivers it",
    response_model=ResponseRead,
    responses={
        200: {"headers": {"X-Cache": {"description": "`hit` or `miss`"}}},
        401: {"description": "no valid token or API key"},
        403: {"description": "An API key without `requests:read` (`forbidden.scope`)"},
        404: {"description": "`not_found.request`, or `not_answered` with the `status`"},
    },
    openapi_extra={"security": SECURITY_REQUIREMENTS},
)
async def read_response(request_id: Uuid, request: HttpRequest) -> Response:
    # The product's hottest route takes no dependencies: FastAPI solves each on every call,
    # and here they cost more than the cached read itself (bench/bench_response_cache.py).
    # It does what `CurrentUser` and `UnitOfWorkDep` do, through the same functions.
    runtime: RequestRuntime = request.app.state.runtime
    runtime.response_cache.read_ahead(request_id)
    async with runtime.unit_of_work() as uow:
        user = await request_user(request, uow.session, scope=Scope.REQUESTS_READ)
        served = await service.read_answer(
            session=uow.session, cache=runtime.response_cache, viewer=user, request_id=request_id
        )
    # The cached bytes as they are: the hit path renders nothing.
    return Response(
        content=served.body,
        media_type="application/json",
        headers={"X-Cache": "hit" if served.hit else "miss"},
    )


declare_scope(read_response, Scope.REQUESTS_READ)
