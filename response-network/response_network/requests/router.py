"""`/requests` (operators and admins) and `/admin/requests`: HTTP only; the service decides."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from core.inputs import Uuid
from core.openapi import api_router
from core.pagination import DEFAULT_PAGE_SIZE, PageSize
from response_network.deps import (
    AdminUser,
    CurrentActor,
    JobsDep,
    OperatorUser,
    SettingsDep,
    UnitOfWorkDep,
    require_admin,
)
from response_network.requests import retry, service
from response_network.requests.models import Request, RequestStatus
from response_network.requests.schemas import (
    BulkRetryRead,
    ClaimRead,
    RequestDetail,
    RequestMonitor,
    RequestPage,
    RequestRead,
    ResponseCreate,
    ResponseRead,
    RetryFilter,
)
from response_network.schemas import NO_NUL
from shared.platform.monitor import add_monitor_route

router = api_router(tags=["requests"])
admin_router = api_router(tags=["admin-requests"])

CONFLICTS: dict[int | str, dict[str, Any]] = {
    409: {"description": "Claimed by someone else (`conflict.claimed`) or not claimed"}
}
REFUSED: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "The request fails its re-check (`forbidden.recheck`): its owner, "
        "profile, type, priority or parameters; it may only be failed or rejected"
    }
}


async def get_queued_request(
    request_id: Uuid, _operator: OperatorUser, uow: UnitOfWorkDep
) -> Request:
    """The request an operator route acts on (the role is checked before the lookup)."""
    return await service.get_request(session=uow.session, request_id=request_id)


QueuedRequest = Annotated[Request, Depends(get_queued_request)]


def _read(request: Request, claim: service.Claim | None) -> RequestRead:
    return RequestRead.model_validate(request).model_copy(
        update={"claim": None if claim is None else ClaimRead.model_validate(claim)}
    )


@router.get("/requests", name="queue", summary="The queue: highest priority, then oldest first")
async def list_queue(
    _operator: OperatorUser,
    uow: UnitOfWorkDep,
    status: Annotated[
        RequestStatus | None, Query(description="Default: the unanswered ones")
    ] = None,
    request_type: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    owner_id: Uuid | None = None,
    cursor: Annotated[str | None, Query(max_length=512, pattern=NO_NUL)] = None,
    limit: PageSize = DEFAULT_PAGE_SIZE,
) -> RequestPage:
    filters = service.QueueFilters(status=status, request_type=request_type, owner_id=owner_id)
    requests, next_cursor = await service.list_queue(
        session=uow.session, filters=filters, cursor=cursor, limit=limit
    )
    claims = await service.claims_of(session=uow.session, requests=requests)
    return RequestPage(
        items=[_read(request, claims.get(request.id)) for request in requests],
        next_cursor=next_cursor,
    )


@router.get("/requests/{request_id}", name="get", summary="One request, its claim and response")
async def get_request(request: QueuedRequest, uow: UnitOfWorkDep) -> RequestDetail:
    claims = await service.claims_of(session=uow.session, requests=[request])
    response = await service.get_response(session=uow.session, request_id=request.id)
    return RequestDetail.model_validate(
        _read(request, claims.get(request.id)).model_dump()
        | {"response": None if response is None else ResponseRead.model_validate(response)}
    )


@router.post(
    "/requests/{request_id}/claim",
    name="claim",
    summary="Hold the request to answer it (expires after claim_ttl_seconds)",
    responses={**CONFLICTS, **REFUSED},
)
async def claim(
    request: QueuedRequest,
    operator: OperatorUser,
    actor: CurrentActor,
    settings: SettingsDep,
    jobs: JobsDep,
    uow: UnitOfWorkDep,
) -> ClaimRead:
    held = await service.claim_request(
        session=uow.session,
        jobs=jobs,
        request=request,
        operator=operator,
        actor=actor,
        ttl_seconds=settings.claim_ttl_seconds,
    )
    return ClaimRead.model_validate(held)


@router.post(
    "/requests/{request_id}/release",
    name="release",
    summary="Give a claim up (the claimer, or an admin)",
    responses=CONFLICTS,
)
async def release(
    request: QueuedRequest,
    operator: OperatorUser,
    actor: CurrentActor,
    jobs: JobsDep,
    uow: UnitOfWorkDep,
) -> RequestRead:
    released = await service.release_request(
        session=uow.session, jobs=jobs, request=request, operator=operator, actor=actor
    )
    return _read(released, None)


@router.post(
    "/requests/{request_id}/response",
    name="respond",
    summary="Answer, fail or reject the request (the claimer, or an admin without a claim)",
    responses={
        **CONFLICTS,
        **REFUSED,
        413: {"description": "The body is over max_response_bytes"},
    },
)
async def respond(
    request: QueuedRequest,
    data: ResponseCreate,
    operator: OperatorUser,
    actor: CurrentActor,
    settings: SettingsDep,
    jobs: JobsDep,
    uow: UnitOfWorkDep,
) -> ResponseRead:
    response = await service.respond(
        session=uow.session,
        jobs=jobs,
        request=request,
        operator=operator,
        actor=actor,
        data=data,
        max_bytes=settings.max_response_bytes,
    )
    return ResponseRead.model_validate(response)


add_monitor_route(
    admin_router, admin=require_admin, measure=service.monitor_requests, schema=RequestMonitor
)


async def get_admin_request(request_id: Uuid, _admin: AdminUser, uow: UnitOfWorkDep) -> Request:
    return await service.get_request(session=uow.session, request_id=request_id)


AdminRequest = Annotated[Request, Depends(get_admin_request)]


@admin_router.post(
    "/admin/requests/retry",
    name="retry_failed",
    summary="Retry every failed request a filter matches (at most `limit` per call)",
)
async def retry_failed(
    data: RetryFilter, _admin: AdminUser, actor: CurrentActor, jobs: JobsDep, uow: UnitOfWorkDep
) -> BulkRetryRead:
    filters = retry.RetryFilters(**data.model_dump(exclude={"limit"}))
    outcome = await retry.retry_failed_requests(
        session=uow.session, jobs=jobs, filters=filters, actor=actor, limit=data.limit
    )
    return BulkRetryRead.model_validate(outcome)


@admin_router.post(
    "/admin/requests/{request_id}/retry",
    name="retry",
    summary="Retry one failed request: back to its handler or the operator queue",
    responses={
        409: {
            "description": "Not failed (`conflict.not_failed`), or its type is deleted or "
            "inactive (`conflict.request_type`)"
        }
    },
)
async def retry_request(
    request: AdminRequest, actor: CurrentActor, jobs: JobsDep, uow: UnitOfWorkDep
) -> RequestRead:
    retried = await retry.retry_request(
        session=uow.session, jobs=jobs, request=request, actor=actor
    )
    return _read(retried, None)
