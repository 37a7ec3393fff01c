"""`/requests` and `/admin/requests`: HTTP only; the service decides."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status
from pydantic import AwareDatetime

from request_network.deps import (
    CurrentUser,
    OwnedRequest,
    RateLimiterDep,
    RuntimeDep,
    SettingsDep,
    UnitOfWorkDep,
    require_admin,
    require_scope,
)
from request_network.requests import service
from request_network.requests.models import RequestStatus
from request_network.requests.schemas import (
    RequestCreate,
    RequestDetail,
    RequestEventRead,
    RequestMonitor,
    RequestPage,
    RequestRead,
)
from request_network.responses import service as responses_service
from shared.platform.monitor import add_monitor_route
from shared.scopes import Scope

router = APIRouter(tags=["requests"])
READS = [Depends(require_scope(Scope.REQUESTS_READ))]
admin_router = APIRouter(tags=["admin-requests"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Retrying with the same key and body returns the first request.",
    ),
]


@router.post(
    "/requests",
    name="submit",
    status_code=status.HTTP_201_CREATED,
    summary="Submit a request (rate limited)",
    dependencies=[Depends(require_scope(Scope.REQUESTS_WRITE))],
    responses={
        200: {"description": "A replay of an earlier submission with this Idempotency-Key"},
        409: {"description": "The Idempotency-Key was used for a different body"},
        429: {"description": "Past a hard rate limit; see Retry-After"},
    },
)
async def submit_request(
    data: RequestCreate,
    user: CurrentUser,
    uow: UnitOfWorkDep,
    limiter: RateLimiterDep,
    settings: SettingsDep,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RequestRead:
    submission = await service.submit(
        session=uow.session,
        limiter=limiter,
        owner=user,
        data=data,
        idempotency_key=idempotency_key,
        max_parameter_bytes=settings.max_parameter_bytes,
        jobs=runtime.jobs,
    )
    if not submission.created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    if submission.rate is not None:
        response.headers.update(submission.rate.headers())
    response.headers["Location"] = f"/requests/{submission.request.id}"
    return RequestRead.model_validate(submission.request)


@router.get(
    "/requests",
    name="list",
    summary="Your requests (an admin's: everyone's)",
    dependencies=READS,
)
async def list_requests(
    user: CurrentUser,
    uow: UnitOfWorkDep,
    status: RequestStatus | None = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    created_from: AwareDatetime | None = None,
    created_to: AwareDatetime | None = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RequestPage:
    filters = service.RequestFilters(
        status=status, kind=kind, created_from=created_from, created_to=created_to
    )
    requests, next_cursor = await service.list_requests(
        session=uow.session, viewer=user, filters=filters, cursor=cursor, limit=limit
    )
    return RequestPage(
        items=[RequestRead.model_validate(r) for r in requests], next_cursor=next_cursor
    )


@router.get(
    "/requests/{request_id}",
    name="get",
    summary="One request and its status history",
    dependencies=READS,
)
async def get_request(request: OwnedRequest, uow: UnitOfWorkDep) -> RequestDetail:
    await responses_service.settle_request(session=uow.session, request=request)
    history = await service.request_history(session=uow.session, request_id=request.id)
    return RequestDetail.model_validate(
        RequestRead.model_validate(request).model_dump()
        | {"history": [RequestEventRead.model_validate(event) for event in history]}
    )


add_monitor_route(
    admin_router, admin=require_admin, measure=service.monitor_requests, schema=RequestMonitor
)
