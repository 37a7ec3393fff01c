"""Annotated dependencies of the response network's routes: identity, roles, lookups."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from core.audit import Actor
from core.credentials import Caller
from core.deps import CredentialsDep, RevocationsDep, TokenIssuerDep, UnitOfWorkDep, get_runtime
from core.errors import NotFound
from core.inputs import Uuid
from core.jobs import JobRunner
from core.logging import bind_user_id
from response_network.api_keys.models import ApiKey
from response_network.api_keys.service import get_api_key
from response_network.auth.service import authenticate
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.users.models import Role, User
from response_network.users.service import get_user
from shared.platform.principal_deps import bind_principals
from shared.principals import ensure_owner_or_admin
from shared.scopes import Scope

__all__ = [
    "AdminUser",
    "CurrentActor",
    "CurrentCaller",
    "CurrentUser",
    "JobsDep",
    "ManagedApiKey",
    "ManagedUser",
    "OperatorUser",
    "OwnedApiKey",
    "RuntimeDep",
    "SettingsDep",
    "UnitOfWorkDep",
    "any_scope",
    "require_admin",
    "require_operator",
    "require_role",
    "require_scope",
]


async def get_caller(
    credentials: CredentialsDep,
    tokens: TokenIssuerDep,
    revocations: RevocationsDep,
    uow: UnitOfWorkDep,
) -> Caller[User]:
    caller = await authenticate(
        session=uow.session, tokens=tokens, credentials=credentials, revocations=revocations
    )
    bind_user_id(caller.user.id)  # the rest of the request's log lines name the user
    return caller


identity = bind_principals(get_caller, ResponseSettings)
get_current_user, get_current_actor, get_settings = identity.user, identity.actor, identity.settings
require_scope, require_role = identity.scope, identity.role
any_scope, require_admin, require_session = identity.any_scope, identity.admin, identity.session
require_operator = require_role(Role.OPERATOR, Scope.REQUESTS_ANSWER)
CurrentCaller = Annotated[Caller[User], Depends(get_caller)]
CurrentUser = Annotated[User, Depends(get_current_user)]
OperatorUser = Annotated[User, Depends(require_operator)]
AdminUser = Annotated[User, Depends(require_admin)]
CurrentActor = Annotated[Actor, Depends(get_current_actor)]
SettingsDep = Annotated[ResponseSettings, Depends(get_settings)]
RuntimeDep = Annotated[ResponseRuntime, Depends(get_runtime)]


async def get_jobs(runtime: RuntimeDep) -> JobRunner:
    """Where services enqueue follow-up work (an export after an answer)."""
    return runtime.jobs


JobsDep = Annotated[JobRunner, Depends(get_jobs)]


async def get_managed_user(user_id: Uuid, _admin: AdminUser, uow: UnitOfWorkDep) -> User:
    """The user an admin route acts on (the role is checked before the lookup)."""
    return await get_user(session=uow.session, user_id=user_id)


ManagedUser = Annotated[User, Depends(get_managed_user)]


async def get_owned_api_key(key_id: Uuid, user: CurrentUser, uow: UnitOfWorkDep) -> ApiKey:
    key = await get_api_key(session=uow.session, key_id=key_id)
    ensure_owner_or_admin(
        user, key.user_id, missing=NotFound(f"no API key {key_id}", code="not_found.api_key")
    )
    return key


OwnedApiKey = Annotated[ApiKey, Depends(get_owned_api_key)]


async def get_managed_api_key(key_id: Uuid, user: ManagedUser, uow: UnitOfWorkDep) -> ApiKey:
    """A key of the user an admin route acts on; another user's key is missing here."""
    return await get_api_key(session=uow.session, key_id=key_id, owner_id=user.id)


ManagedApiKey = Annotated[ApiKey, Depends(get_managed_api_key)]
