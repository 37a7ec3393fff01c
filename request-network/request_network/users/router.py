"""`/users/me` for everyone (read-only but for one's own password); `/admin/users` for
admins, read-only like everything about users on this side (the response network masters
them). HTTP only: the service decides."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from core.deps import ClientAddress, LoginThrottleDep, TokenIssuerDep
from request_network.deps import (
    CurrentUser,
    ManagedUser,
    RuntimeDep,
    SessionCaller,
    UnitOfWorkDep,
    any_scope,
    require_admin,
)
from request_network.users import service
from request_network.users.models import Role
from request_network.users.schemas import UserPage, UserRead
from shared.platform.account import PasswordUpdate
from shared.platform.audit import NO_NUL
from shared.platform.login import TokenRead

router = APIRouter(tags=["users"], dependencies=[Depends(any_scope)])
session_router = APIRouter(tags=["users"])
admin_router = APIRouter(
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
    active: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=512, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
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


@session_router.post(
    "/users/me/password",
    summary="Change your password (users only); answers a new token, older ones are refused",
    responses={
        400: {"description": "`bad_request.token_required`: an API key is no login"},
        403: {
            "description": "`forbidden.current_password`, or `forbidden.password_change` (staff)"
        },
        422: {"description": "`invalid.password`: the new password breaks the policy"},
        429: {"description": "Too many wrong passwords; see Retry-After"},
    },
)
async def change_password(
    data: PasswordUpdate,
    caller: SessionCaller,
    runtime: RuntimeDep,
    throttle: LoginThrottleDep,
    tokens: TokenIssuerDep,
    address: ClientAddress,
) -> TokenRead:
    token, _claims = await service.change_own_password(
        runtime=runtime,
        throttle=throttle,
        tokens=tokens,
        user=caller.user,
        data=data,
        address=address,
    )
    return TokenRead(access_token=token, expires_in=int(tokens.ttl.total_seconds()))
