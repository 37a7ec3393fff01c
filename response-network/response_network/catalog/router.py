"""`/admin/request-types`, `/admin/profiles` and `/admin/users/{id}/grants`: admins only.

HTTP only: the service decides and audits.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, status

from core.inputs import ParamBool
from core.openapi import api_router
from response_network.catalog import service
from response_network.catalog.models import Profile, RequestType
from response_network.catalog.schemas import (
    GrantCreate,
    GrantRead,
    ProfileCreate,
    ProfileRead,
    ProfileUpdate,
    RequestTypeCreate,
    RequestTypeRead,
    RequestTypeUpdate,
    TryAnswer,
    TryRequest,
    TypeName,
)
from response_network.deps import CurrentActor, ManagedUser, UnitOfWorkDep, require_admin
from response_network.handlers import HandlerRegistry
from response_network.settings import ResponseSettings


async def get_handlers(request: Request) -> HandlerRegistry:
    handlers: HandlerRegistry = request.app.state.handlers
    return handlers


async def get_settings(request: Request) -> ResponseSettings:
    settings: ResponseSettings = request.app.state.runtime.settings
    return settings


HandlersDep = Annotated[HandlerRegistry, Depends(get_handlers)]
SettingsDep = Annotated[ResponseSettings, Depends(get_settings)]


async def get_managed_type(name: TypeName, uow: UnitOfWorkDep) -> RequestType:
    return await service.get_request_type(session=uow.session, name=name)


async def get_managed_profile(name: TypeName, uow: UnitOfWorkDep) -> Profile:
    return await service.get_profile(session=uow.session, name=name)


ManagedType = Annotated[RequestType, Depends(get_managed_type)]
ManagedProfile = Annotated[Profile, Depends(get_managed_profile)]

types_router = api_router(
    prefix="/admin/request-types", tags=["catalog"], dependencies=[Depends(require_admin)]
)
profiles_router = api_router(
    prefix="/admin/profiles", tags=["catalog"], dependencies=[Depends(require_admin)]
)
grants_router = api_router(
    prefix="/admin/users/{user_id}/grants", tags=["catalog"], dependencies=[Depends(require_admin)]
)


@types_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Define a request type",
    responses={409: {"description": "`conflict.request_type`: the name is taken"}},
)
async def create_type(
    data: RequestTypeCreate, handlers: HandlersDep, actor: CurrentActor, uow: UnitOfWorkDep
) -> RequestTypeRead:
    item = await service.create_request_type(
        session=uow.session, handlers=handlers, data=data, actor=actor
    )
    return RequestTypeRead.model_validate(item)


@types_router.get("", name="list", summary="Request types in name order")
async def list_types(
    uow: UnitOfWorkDep, include_deleted: Annotated[ParamBool, Query()] = False
) -> list[RequestTypeRead]:
    items = await service.list_request_types(session=uow.session, include_deleted=include_deleted)
    return [RequestTypeRead.model_validate(item) for item in items]


@types_router.get("/{name}", name="get", summary="One request type")
async def get_type(item: ManagedType) -> RequestTypeRead:
    return RequestTypeRead.model_validate(item)


@types_router.patch("/{name}", summary="Change a request type (a new version)")
async def update_type(
    item: ManagedType,
    data: RequestTypeUpdate,
    handlers: HandlersDep,
    actor: CurrentActor,
    uow: UnitOfWorkDep,
) -> RequestTypeRead:
    updated = await service.update_request_type(
        session=uow.session, handlers=handlers, item=item, data=data, actor=actor
    )
    return RequestTypeRead.model_validate(updated)


@types_router.delete(
    "/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete (soft): new requests are refused, the name stays taken",
)
async def delete_type(item: ManagedType, actor: CurrentActor, uow: UnitOfWorkDep) -> None:
    await service.delete_request_type(session=uow.session, item=item, actor=actor)


@types_router.post("/{name}/try", summary="Run the handler on sample parameters; stores nothing")
async def try_type(
    item: ManagedType, data: TryRequest, handlers: HandlersDep, settings: SettingsDep
) -> TryAnswer:
    tried = await service.try_request_type(
        handlers=handlers, settings=settings, item=item, parameters=data.parameters
    )
    answer = tried.answer
    return TryAnswer(content_type=answer.content_type, body=answer.body, query=tried.query)


@profiles_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Define a profile",
    responses={409: {"description": "`conflict.profile`: the name is taken"}},
)
async def create_profile(
    data: ProfileCreate, actor: CurrentActor, uow: UnitOfWorkDep
) -> ProfileRead:
    item = await service.create_profile(session=uow.session, data=data, actor=actor)
    return ProfileRead.model_validate(item)


@profiles_router.get("", name="list", summary="Profiles in name order")
async def list_profiles(uow: UnitOfWorkDep) -> list[ProfileRead]:
    items = await service.list_profiles(session=uow.session)
    return [ProfileRead.model_validate(item) for item in items]


@profiles_router.get("/{name}", name="get", summary="One profile")
async def get_profile(item: ManagedProfile) -> ProfileRead:
    return ProfileRead.model_validate(item)


@profiles_router.patch("/{name}", summary="Change a profile's limits or types")
async def update_profile(
    item: ManagedProfile, data: ProfileUpdate, actor: CurrentActor, uow: UnitOfWorkDep
) -> ProfileRead:
    updated = await service.update_profile(session=uow.session, item=item, data=data, actor=actor)
    return ProfileRead.model_validate(updated)


@profiles_router.delete(
    "/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an unused profile",
    responses={409: {"description": "`conflict.profile_in_use`: users still have it"}},
)
async def delete_profile(item: ManagedProfile, actor: CurrentActor, uow: UnitOfWorkDep) -> None:
    await service.delete_profile(session=uow.session, item=item, actor=actor)


@grants_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Grant a request type (with its own limits: replaces an active grant's)",
)
async def grant(
    user: ManagedUser, data: GrantCreate, actor: CurrentActor, uow: UnitOfWorkDep
) -> GrantRead:
    item = await service.grant_request_type(
        session=uow.session, user=user, name=data.request_type, actor=actor, limits=data.limits
    )
    return GrantRead.model_validate(item)


@grants_router.get("", name="list", summary="The user's grants, revoked ones included")
async def list_grants(user: ManagedUser, uow: UnitOfWorkDep) -> list[GrantRead]:
    items = await service.list_grants(session=uow.session, user=user)
    return [GrantRead.model_validate(item) for item in items]


@grants_router.delete(
    "/{name}",
    operation_id="revoke_grant",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a granted request type",
)
async def revoke(
    user: ManagedUser, name: TypeName, actor: CurrentActor, uow: UnitOfWorkDep
) -> None:
    await service.revoke_grant(session=uow.session, user=user, name=name, actor=actor)
