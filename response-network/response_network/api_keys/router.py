"""API keys: a user's own under `/users/me/api-keys`, anyone's under `/admin/users/{id}`."""

from __future__ import annotations

from fastapi import Depends, status

from core.openapi import api_router
from response_network.api_keys import service
from response_network.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from response_network.deps import (
    CurrentActor,
    CurrentCaller,
    CurrentUser,
    ManagedApiKey,
    ManagedUser,
    OwnedApiKey,
    UnitOfWorkDep,
    require_admin,
    require_scope,
)
from shared.scopes import Scope

router = api_router(
    prefix="/users/me/api-keys",
    tags=["api-keys"],
    dependencies=[Depends(require_scope(Scope.API_KEYS))],
)
admin_router = api_router(
    prefix="/admin/users/{user_id}/api-keys",
    tags=["api-keys"],
    dependencies=[Depends(require_admin)],
)

CREATED_SUMMARY = "Create a key; the answer holds its secret, shown this once"

KEY_LIMIT = {"description": "`conflict.api_key_limit`: 50 unrevoked keys already"}


@router.post(
    "",
    name="create_mine",
    status_code=status.HTTP_201_CREATED,
    summary=CREATED_SUMMARY,
    responses={409: KEY_LIMIT},
)
async def create_mine(
    data: ApiKeyCreate, caller: CurrentCaller, actor: CurrentActor, uow: UnitOfWorkDep
) -> ApiKeyCreated:
    issued = await service.create_api_key(
        session=uow.session, owner=caller.user, data=data, actor=actor, within=caller.scopes
    )
    return ApiKeyCreated.of(issued.key, issued.secret)


@router.get("", name="list_mine", summary="My keys, revoked ones included")
async def list_mine(user: CurrentUser, uow: UnitOfWorkDep) -> list[ApiKeyRead]:
    keys = await service.list_api_keys(session=uow.session, owner_id=user.id)
    return [ApiKeyRead.model_validate(key) for key in keys]


@router.delete(
    "/{key_id}", name="revoke_mine", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke"
)
async def revoke_mine(key: OwnedApiKey, actor: CurrentActor, uow: UnitOfWorkDep) -> None:
    await service.revoke_api_key(session=uow.session, key=key, actor=actor)


@admin_router.post(
    "",
    name="create",
    operation_id="create_api_key",
    responses={409: KEY_LIMIT},
    status_code=status.HTTP_201_CREATED,
    summary=CREATED_SUMMARY,
)
async def create(
    data: ApiKeyCreate,
    user: ManagedUser,
    caller: CurrentCaller,
    actor: CurrentActor,
    uow: UnitOfWorkDep,
) -> ApiKeyCreated:
    issued = await service.create_api_key(
        session=uow.session, owner=user, data=data, actor=actor, within=caller.scopes
    )
    return ApiKeyCreated.of(issued.key, issued.secret)


@admin_router.get("", name="list", summary="A user's keys, revoked ones included")
async def list_keys(user: ManagedUser, uow: UnitOfWorkDep) -> list[ApiKeyRead]:
    keys = await service.list_api_keys(session=uow.session, owner_id=user.id)
    return [ApiKeyRead.model_validate(key) for key in keys]


@admin_router.delete(
    "/{key_id}",
    name="revoke",
    operation_id="revoke_api_key",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a user's key",
)
async def revoke(key: ManagedApiKey, actor: CurrentActor, uow: UnitOfWorkDep) -> None:
    await service.revoke_api_key(session=uow.session, key=key, actor=actor)
