"""`GET /request-types`: the types the caller may submit. HTTP only: the service decides."""

from __future__ import annotations

from fastapi import Depends

from core.openapi import api_router
from request_network.catalog import service
from request_network.catalog.schemas import RequestTypeRead
from request_network.deps import CurrentUser, UnitOfWorkDep, require_scope
from shared.scopes import Scope

router = api_router(tags=["catalog"], dependencies=[Depends(require_scope(Scope.REQUESTS_READ))])


@router.get("/request-types", name="list", summary="The request types you may submit")
async def list_request_types(user: CurrentUser, uow: UnitOfWorkDep) -> list[RequestTypeRead]:
    types = await service.submittable_types(session=uow.session, user=user)
    return [RequestTypeRead.model_validate(item) for item in types]
