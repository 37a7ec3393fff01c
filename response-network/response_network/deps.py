"""Annotated dependencies of the response network's routes: identity, roles, lookups."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from core.audit import Actor
from core.deps import (
    ClientAddress,
    CredentialsDep,
    RuntimeDep,
    TokenIssuerDep,
    UnitOfWorkDep,
)
from core.errors import Forbidden, NotFound
from core.jobs import JobRunner
from core.logging import bind_user_id
from response_network.api_keys.models import ApiKey
from response_network.api_keys.service import get_api_key
from response_network.auth.service import authenticate
from response_network.settings import ResponseSettings
from response_network.users.models import Role, User
from response_network.users.service import get_user

__all__ = [
    "AdminUser",
    "CurrentActor",
    "CurrentUser",
    "JobsDep",
    "ManagedApiKey",
    "ManagedUser",
    "OperatorUser",
    "OwnedApiKey",
    "RuntimeDep",
    "SettingsDep",
    "UnitOfWorkDep",
    "require_admin",
    "require_operator",
    "require_role",
]


async def get_settings(runtime: RuntimeDep) -> ResponseSettings:
    settings = runtime.settings
    assert isinstance(settings, ResponseSettings)
    return settings


SettingsDep = Annotated[ResponseSettings, Depends(get_settings)]


async def get_jobs(runtime: RuntimeDep) -> JobRunner:
    """Where services enqueue follow-up work (an export after an answer)."""
    return runtime.jobs


JobsDep = Annotated[JobRunner, Depends(get_jobs)]


async def get_current_user(
    credentials: CredentialsDep, tokens: TokenIssuerDep, uow: UnitOfWorkDep
) -> User:
    user = await authenticate(session=uow.session, tokens=tokens, credentials=credentials)
    bind_user_id(user.id)  # the rest of the request's log lines name the user
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(minimum: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets through users of `minimum` role or above, else 403."""

    async def check(user: CurrentUser) -> User:
        if not user.role.at_least(minimum):
            raise Forbidden(f"this needs the {minimum.value} role", code="forbidden.role")
        return user

    check.__name__ = f"require_{minimum.value}"
    return check


require_operator = require_role(Role.OPERATOR)
require_admin = require_role(Role.ADMIN)
OperatorUser = Annotated[User, Depends(require_operator)]
AdminUser = Annotated[User, Depends(require_admin)]


async def get_current_actor(user: CurrentUser, address: ClientAddress) -> Actor:
    """The caller as the audit trail names them: who, and from which address."""
    return Actor(id=user.id, name=user.username, address=address)


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


def ensure_owner_or_admin(user: User, owner_id: uuid.UUID, *, missing: NotFound) -> None:
    """Someone else's object is reported missing, not forbidden, so ids cannot be probed."""
    if user.id != owner_id and user.role != Role.ADMIN:
        raise missing


async def get_managed_user(user_id: uuid.UUID, _admin: AdminUser, uow: UnitOfWorkDep) -> User:
    """The user an admin route acts on (the role is checked before the lookup)."""
    return await get_user(session=uow.session, user_id=user_id)


ManagedUser = Annotated[User, Depends(get_managed_user)]


async def get_owned_api_key(key_id: uuid.UUID, user: CurrentUser, uow: UnitOfWorkDep) -> ApiKey:
    key = await get_api_key(session=uow.session, key_id=key_id)
    ensure_owner_or_admin(
        user, key.user_id, missing=NotFound(f"no API key {key_id}", code="not_found.api_key")
    )
    return key


OwnedApiKey = Annotated[ApiKey, Depends(get_owned_api_key)]


async def get_managed_api_key(key_id: uuid.UUID, user: ManagedUser, uow: UnitOfWorkDep) -> ApiKey:
    """A key of the user an admin route acts on; another user's key is missing here."""
    return await get_api_key(session=uow.session, key_id=key_id, owner_id=user.id)


ManagedApiKey = Annotated[ApiKey, Depends(get_managed_api_key)]
