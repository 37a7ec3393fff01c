"""`/requests` and `/admin/requests`: HTTP only; the service decides."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Query, Response, status
from fastapi import Request as HttpRequest
from pydantic import AfterValidator

from core.db import utcnow
from core.deps import SECURITY_REQUIREMENTS
from core.inputs import DateTime, Uuid
from core.openapi import RATE_LIMIT_HEADERS, api_router, rate_limited
from core.pagination import DEFAULT_PAGE_SIZE, PageSize
from core.ratelimit import WindowUsage
from request_network.deps import (
    AdminUser,
    CurrentActor,
    CurrentUser,
    OwnedRequest,
    RateLimiterDep,
    RuntimeDep,
    SubmissionDep,
    UnitOfWorkDep,
    require_admin,
    require_scope,
)
from request_network.requests import cancel, limits, service
from request_network.requests.models import RequestStatus
from request_network.requests.schemas import (
    QuotaRead,
    RequestCreate,
    RequestDetail,
    RequestEventRead,
    RequestMonitor,
    RequestPage,
    RequestRead,
    RequestTypeQuota,
    WindowQuota,
    refuse_renamed,
)
from request_network.runtime import RequestRuntime
from shared.platform.monitor import add_monitor_route
from shared.scopes import Scope

router = api_router(tags=["requests"])
READS = [Depends(require_scope(Scope.REQUESTS_READ))]
admin_router = api_router(tags=["admin-requests"])

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
    response_model=RequestRead,
    responses={
        200: {
            "description": "A replay of an earlier submission with this Idempotency-Key",
            "model": RequestRead,
            "headers": {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]}}},
        },
        201: {"description": "Submitted", "headers": RATE_LIMIT_HEADERS},
        409: {"description": "The Idempotency-Key was used for a different body"},
        429: rate_limited("Past a hard rate limit; see Retry-After", with_windows=True),
    },
    openapi_extra={"security": SECURITY_REQUIREMENTS},
)
async def submit_request(
    data: RequestCreate,
    opened: SubmissionDep,
    request: HttpRequest,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    # One dependency (the unit of work and the caller) and the app's limiter and runtime as
    # the cached read takes them: FastAPI's solving of each dependency costs every call.
    uow, user = opened
    runtime: RequestRuntime = request.app.state.runtime
    submission = await service.submit(
        session=uow.session,
        catalog=runtime.catalog,
        limiter=request.app.state.rate_limiter,
        owner=user,
        data=data,
        idempotency_key=idempotency_key,
        max_parameter_bytes=runtime.settings.max_parameter_bytes,
        jobs=runtime.jobs,
    )
    headers = {"Location": f"/requests/{submission.request.id}"}
    if not submission.created:
        headers["Idempotent-Replayed"] = "true"
    if submission.rate is not None:
        headers.update(submission.rate.headers())
    # Rendered once here: returned as a model, FastAPI would validate it again to serialise.
    return Response(
        content=RequestRead.model_validate(submission.request).model_dump_json(),
        status_code=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK,
        media_type="application/json",
        headers=headers,
    )


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
    request_type: Annotated[str | None, Query(max_length=64)] = None,
    # The old name is refused rather than ignored: ignored, it would silently list everything.
    _kind: Annotated[
        str | None,
        Query(alias="kind", max_length=64, include_in_schema=False),
        AfterValidator(refuse_renamed),
    ] = None,
    created_from: DateTime | None = None,
    created_to: DateTime | None = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: PageSize = DEFAULT_PAGE_SIZE,
) -> RequestPage:
    filters = service.RequestFilters(
        status=status, request_type=request_type, created_from=created_from, created_to=created_to
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
    # Only reads: the `responses` import already moved the status and wrote its events.
    history = await service.request_history(session=uow.session, request_id=request.id)
    return RequestDetail.model_validate(
        RequestRead.model_validate(request).model_dump()
        | {"history": [RequestEventRead.model_validate(event) for event in history]}
    )


@router.post(
    "/requests/{request_id}/cancel",
    name="cancel",
    summary="Cancel your request before it is answered (asking again changes nothing)",
    dependencies=[Depends(require_scope(Scope.REQUESTS_WRITE))],
    responses={
        404: {"description": "No such request of yours (`not_found.request`)"},
        409: {"description": "Already decided (`conflict.request_decided`, with `status`)"},
    },
)
async def cancel_request(
    request_id: Uuid, user: CurrentUser, uow: UnitOfWorkDep, runtime: RuntimeDep
) -> RequestRead:
    cancelled = await cancel.cancel_request(
        session=uow.session, owner=user, request_id=request_id, jobs=runtime.jobs
    )
    return RequestRead.model_validate(cancelled)


add_monitor_route(
    admin_router, admin=require_admin, measure=service.monitor_requests, schema=RequestMonitor
)


def _window(usage: WindowUsage) -> WindowQuota:
    after = usage.reset_after or 0.0
    return WindowQuota(
        window=usage.window.name,
        seconds=usage.window.seconds,
        soft=usage.window.soft,
        hard=usage.window.hard,
        used=usage.used,
        remaining=usage.remaining,
        reset_at=utcnow() + timedelta(seconds=after) if usage.used else None,
        reset_after_seconds=math.ceil(after),
    )


def _quota(quota: limits.Quota) -> QuotaRead:
    return QuotaRead(
        user_id=quota.user.id,
        profile=quota.profile,
        windows=[_window(usage) for usage in quota.windows],
        request_types=[
            RequestTypeQuota(request_type=name, windows=[_window(u) for u in usage])
            for name, usage in quota.request_types.items()
        ],
    )


@router.get(
    "/users/me/limits",
    name="limits",
    summary="Your rate limits: per window (and per request type) used, remaining, reset",
    dependencies=READS,
)
async def my_limits(user: CurrentUser, uow: UnitOfWorkDep, limiter: RateLimiterDep) -> QuotaRead:
    quota = await limits.read_limits(session=uow.session, limiter=limiter, user=user)
    return _quota(quota)


@admin_router.get(
    "/admin/users/{user_id}/limits", name="user_limits", summary="A user's rate-limit usage"
)
async def user_limits(
    user_id: Uuid, _admin: AdminUser, uow: UnitOfWorkDep, limiter: RateLimiterDep
) -> QuotaRead:
    quota = await limits.read_user_limits(session=uow.session, limiter=limiter, user_id=user_id)
    return _quota(quota)


@admin_router.post(
    "/admin/users/{user_id}/limits/reset",
    name="reset_user_limits",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Forget a user's counted submissions in every window (audited)",
)
async def reset_user_limits(
    user_id: Uuid,
    _admin: AdminUser,
    actor: CurrentActor,
    uow: UnitOfWorkDep,
    limiter: RateLimiterDep,
) -> None:
    await limits.reset_limits(session=uow.session, limiter=limiter, user_id=user_id, actor=actor)
