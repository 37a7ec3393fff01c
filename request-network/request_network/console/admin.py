"""The request network's own admin pages: requests by status, the replicated users
(read-only) with their quota and its reset, the response cache. (Transfer, audit, alerts and
tasks are the pages both networks mount from `shared.platform.console`.)

Each page calls the service behind the `/admin/...` route beside it with the same admin role
and scope; what the API audits (cache clears, a quota reset) the services audit.
No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query
from fastapi import Request as HttpRequest
from fastapi.responses import RedirectResponse, Response

from core.deps import RateLimiterDep, UnitOfWorkDep
from core.errors import NotFound
from request_network.console.deps import ConsoleActor, ConsoleUser
from request_network.deps import ResponseCacheDep
from request_network.requests import limits
from request_network.requests import service as requests_service
from request_network.requests.models import RequestStatus
from request_network.responses import cache_admin
from request_network.users import service as users_service
from request_network.users.models import Role, User
from shared.platform.audit import NO_NUL
from shared.platform.console.forms import Blank
from shared.platform.console.paging import PagingDep
from shared.platform.console.session import read_form
from shared.platform.console.site import PREFIX, Console
from shared.scopes import Scope

Count = Annotated[int | None, Query(ge=0)]


def add_admin_pages(console: Console) -> None:
    page = console.page

    @page("/admin/requests", role=Role.ADMIN, scope=Scope.ADMIN, nav="Requests by status")
    async def requests_page(
        request: HttpRequest,
        user: ConsoleUser,
        uow: UnitOfWorkDep,
        paging: PagingDep,
        status: Annotated[RequestStatus | None, Blank] = None,
        request_type: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    ) -> Response:
        figures = await requests_service.monitor_requests(session=uow.session)
        filters = requests_service.RequestFilters(status=status, request_type=request_type or None)
        items, next_cursor = await requests_service.list_requests(
            session=uow.session,
            viewer=user,
            filters=filters,
            cursor=paging.cursor,
            limit=paging.limit,
        )
        owners = await users_service.usernames(
            session=uow.session, user_ids={item.owner_id for item in items}
        )
        return console.render(
            request,
            "admin_requests.html",
            user=user,
            figures=figures,
            total=sum(figures.counts.values()),
            items=items,
            owners=owners,
            status=status,
            statuses=RequestStatus,
            request_type=request_type or "",
            pages=paging.links(
                "/admin/requests", next_cursor, status=status, request_type=request_type
            ),
        )

    @page("/admin/users", role=Role.ADMIN, scope=Scope.ADMIN, nav="Users")
    async def users_page(
        request: HttpRequest,
        user: ConsoleUser,
        uow: UnitOfWorkDep,
        paging: PagingDep,
        username: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
        role: Annotated[Role | None, Blank] = None,
        active: Annotated[bool | None, Blank] = None,
    ) -> Response:
        filters = users_service.UserFilters(
            username_prefix=username or None, role=role, active=active
        )
        users, next_cursor = await users_service.list_users(
            session=uow.session, filters=filters, cursor=paging.cursor, limit=paging.limit
        )
        return console.render(
            request,
            "admin_users.html",
            user=user,
            users=users,
            username=username or "",
            role=role,
            roles=Role,
            active=active,
            pages=paging.links(
                "/admin/users",
                next_cursor,
                username=username,
                role=role,
                active=active,
            ),
        )

    @page("/admin/users/{user_id}", role=Role.ADMIN, scope=Scope.ADMIN)
    async def user_page(
        request: HttpRequest,
        user_id: uuid.UUID,
        user: ConsoleUser,
        uow: UnitOfWorkDep,
        limiter: RateLimiterDep,
        reset: bool = False,
    ) -> Response:
        # The user and their quota in one call: `GET /admin/users/{id}/limits`'s service.
        quota = await limits.read_user_limits(session=uow.session, limiter=limiter, user_id=user_id)
        return console.render(
            request, "admin_user.html", user=user, shown=quota.user, quota=quota, reset=reset
        )

    @page(
        "/admin/users/{user_id}/limits/reset", role=Role.ADMIN, scope=Scope.ADMIN, methods=["POST"]
    )
    async def reset_limits(
        request: HttpRequest,
        user_id: uuid.UUID,
        actor: ConsoleActor,
        uow: UnitOfWorkDep,
        limiter: RateLimiterDep,
    ) -> Response:
        await read_form(request)
        await limits.reset_limits(
            session=uow.session, limiter=limiter, user_id=user_id, actor=actor
        )
        return RedirectResponse(f"{PREFIX}/admin/users/{user_id}?reset=true", status_code=303)

    async def cache_view(
        request: HttpRequest,
        user: User,
        cache: Any,
        *,
        message: str | None = None,
        errors: dict[str, str] | None = None,
        username: str = "",
    ) -> Response:
        stats = await cache_admin.cache_stats(cache=cache)
        return console.render(
            request,
            "admin_cache.html",
            status_code=422 if errors else 200,
            user=user,
            stats=stats,
            message=message,
            errors=errors or {},
            username=username,
        )

    @page("/admin/cache", role=Role.ADMIN, scope=Scope.ADMIN, nav="Cache")
    async def cache_page(
        request: HttpRequest,
        user: ConsoleUser,
        cache: ResponseCacheDep,
        cleared: Count = None,
        username: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    ) -> Response:
        message = None
        if cleared is not None:
            whose = f" of {username}" if username else ""
            message = f"Dropped {cleared} cached answer(s){whose}."
        return await cache_view(request, user, cache, message=message)

    @page("/admin/cache/clear", role=Role.ADMIN, scope=Scope.ADMIN, methods=["POST"])
    async def clear_cache(
        request: HttpRequest, actor: ConsoleActor, uow: UnitOfWorkDep, cache: ResponseCacheDep
    ) -> Response:
        await read_form(request)
        deleted = await cache_admin.clear_cache(session=uow.session, cache=cache, actor=actor)
        return RedirectResponse(f"{PREFIX}/admin/cache?cleared={deleted}", status_code=303)

    @page("/admin/cache/user", role=Role.ADMIN, scope=Scope.ADMIN, methods=["POST"])
    async def clear_user_cache(
        request: HttpRequest,
        user: ConsoleUser,
        actor: ConsoleActor,
        uow: UnitOfWorkDep,
        cache: ResponseCacheDep,
    ) -> Response:
        posted = await read_form(request)
        username = posted.get("username", "").strip()
        try:
            # The API names the user by id; a person types the username.
            owner = await users_service.get_user_by_name(session=uow.session, username=username)
        except NotFound:
            error = f"No user named {username!r}." if username else "Enter a username."
            return await cache_view(
                request, user, cache, errors={"username": error}, username=username
            )
        deleted = await cache_admin.clear_user_cache(
            session=uow.session, cache=cache, actor=actor, user_id=owner.id
        )
        query = urlencode({"cleared": deleted, "username": owner.username})
        return RedirectResponse(f"{PREFIX}/admin/cache?{query}", status_code=303)
