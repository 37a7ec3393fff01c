"""`/users/me` for everyone; `/admin/users` for admins. HTTP only: the service decides."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, status

from core.inputs import ParamBool
from core.openapi import api_router
from core.pagination import DEFAULT_PAGE_SIZE, PageSize
from response_network.deps import (
    CurrentActor,
    CurrentUser,
    ManagedUser,
    UnitOfWorkDep,
    any_scope,
    require_admin,
    require_session,
)
from response_network.schemas import NO_NUL
from response_network.users import service
from response_network.users.models import Role
from response_network.users.schemas import (
    PasswordReset,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)
from shared.platform.account import password_router

SEARCH_HELP = "Text in the username, email or display name"

router = api_router(tags=["users"], dependencies=[Depends(any_scope)])
session_router = password_router(
    session=require_session,
    change=service.change_own_password,
    summary="Change your password; answers a new token, older ones are refused on both networks",
    forbidden="`forbidden.current_password`: the current password is wrong",
)
admin_router = api_router(
    prefix="/admin/users", tags=["users"], dependencies=[Depends(require_admin)]
)


@router.get("/users/me", operation_id="get_me", summary="The account behind the credentials")
async def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@admin_router.post(
    "",
    operation_id="create_user",
    status_code=status.HTTP_201_CREATED,
    summary="Create a user",
    responses={409: {"description": "`conflict.username` or `conflict.email`: taken"}},
)
async def create(data: UserCreate, actor: CurrentActor, uow: UnitOfWorkDep) -> UserRead:
    user = await service.create_user(session=uow.session, data=data, actor=actor)
    return UserRead.model_validate(user)


@admin_router.get("", name="list", summary="Users in username order, one page at a time")
async def list_users(
    uow: UnitOfWorkDep,
    role: Role | None = None,
    active: ParamBool | None = None,
    q: Annotated[str | None, Query(max_length=200, pattern=NO_NUL, description=SEARCH_HELP)] = None,
    cursor: Annotated[str | None, Query(max_length=512, pattern=NO_NUL)] = None,
    limit: PageSize = DEFAULT_PAGE_SIZE,
) -> UserPage:
    users, next_cursor = await service.list_users(
        session=uow.session,
        filters=service.UserFilters(role=role, active=active, text=q),
        cursor=cursor,
        limit=limit,
    )
    return UserPage(items=[UserRead.model_validate(u) for u in users], next_cursor=next_cursor)


@admin_router.get("/{user_id}", name="get", summary="One user")
async def get_user(user: ManagedUser) -> UserRead:
    return UserRead.model_validate(user)


@admin_router.patch(
    "/{user_id}",
    operation_id="update_user",
    summary="Change email, name, role, active, profile, limits or request network login",
    responses={409: {"description": "`conflict.email` (in use) or `conflict.last_admin`"}},
)
async def update(
    user: ManagedUser, data: UserUpdate, actor: CurrentActor, uow: UnitOfWorkDep
) -> UserRead:
    updated = await service.update_user(session=uow.session, user=user, data=data, actor=actor)
    return UserRead.model_validate(updated)


@admin_router.post(
    "/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT, summary="Set a new password"
)
async def reset_password(
    user: ManagedUser, data: PasswordReset, actor: CurrentActor, uow: UnitOfWorkDep
) -> None:
    await service.reset_password(
        session=uow.session, user=user, password=data.password, actor=actor
    )


# A POST, not a DELETE: the account stays readable (`active: false`) and can be reactivated,
# which a DELETE would deny (Schemathesis's `use_after_free` holds the API to that).
@admin_router.post(
    "/{user_id}/deactivate",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Deactivate: the account and its history stay; it can no longer authenticate",
    responses={409: {"description": "`conflict.last_admin`: the last active admin stays"}},
)
async def deactivate(user: ManagedUser, actor: CurrentActor, uow: UnitOfWorkDep) -> None:
    await service.deactivate_user(session=uow.session, user=user, actor=actor)
