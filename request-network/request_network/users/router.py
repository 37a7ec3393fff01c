"""`/users/me` for everyone (read-only but for one's own password); `/admin/users` for
admins, read-only like everything about users on this side (the response network masters
them). HTTP only: the service decides."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from core.inputs import ParamBool
from core.openapi import api_router
from core.pagination import DEFAULT_PAGE_SIZE, PageSize
from request_network.deps import (
    CurrentUser,
    ManagedUser,
    UnitOfWorkDep,
    any_scope,
    require_admin,
    require_session,
)
from request_network.users import service
from request_network.users.models import Role
from request_network.users.schemas import UserPage, UserRead
from shared.platform.account import password_router
from shared.platform.audit import NO_NUL

router = api_router(tags=["users"], dependencies=[Depends(any_scope)])
session_router = password_router(
    session=require_session,
    change=service.change_own_password,
    summary="Change your password (users only); answers a new token, older ones are refused",
    forbidden="`forbidden.current_password`, or `forbidden.password_change` (staff)",
)
admin_router = api_router(
    prefix="/admin/users", tags=["admin-users"], dependencies=[Depends(require_admin)]
)


@router.get("/users/me", operation_id="get_me", summary="The account behind the credentials")
async def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@admin_router.get("", name="list", summary="Replicated users in username order, paged")
async def list_users(
    uow: UnitOfWorkDep,
    username: Annotated[
        str | None, Query(max_length=64, pattern=NO_NUL, description="A username prefix")
    ] = None,
    role: Role | None = None,
    active: ParamBool | None = None,
    cursor: Annotated[str | None, Query(max_length=512, pattern=NO_NUL)] = None,
    limit: PageSize = DEFAULT_PAGE_SIZE,
) -> UserPage:
    users, next_cursor = await service.list_users(
        session=uow.session,
        filters=service.UserFilters(username_prefix=username, role=role, active=active),
        cursor=cursor,
        limit=limit,
    )
    return UserPage(items=[UserRead.model_validate(u) for u in users], next_cursor=next_cursor)


@admin_router.get("/{user_id}", name="get", summary="One replicated user")
async def get_user(user: ManagedUser) -> UserRead:
    return UserRead.model_validate(user)
