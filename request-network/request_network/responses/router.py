"""`GET /requests/{id}/response`: HTTP only; the service decides."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from request_network.deps import CurrentUser, ResponseCacheDep, UnitOfWorkDep
from request_network.responses import service
from request_network.responses.schemas import ResponseRead

router = APIRouter(tags=["responses"])


@router.get(
    "/requests/{request_id}/response",
    name="read",
    summary="The answer to your request (cached); your first read delivers it",
    response_model=ResponseRead,
    responses={
        200: {"headers": {"X-Cache": {"description": "`hit` or `miss`"}}},
        404: {"description": "`not_found.request`, or `not_answered` with the `status`"},
    },
)
async def read_response(
    request_id: uuid.UUID, user: CurrentUser, uow: UnitOfWorkDep, cache: ResponseCacheDep
) -> Response:
    served = await service.read_answer(
        session=uow.session, cache=cache, viewer=user, request_id=request_id
    )
    # The cached bytes as they are: the hit path renders nothing.
    return Response(
        content=served.body,
        media_type="application/json",
        headers={"X-Cache": "hit" if served.hit else "miss"},
    )
