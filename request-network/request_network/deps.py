"""Annotated dependencies of the request network's routes: identity and roles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from fastapi import Request as HttpRequest
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor
from core.credentials import Caller, Credentials, ensure_scope
from core.db import UnitOfWork
from core.deps import (
    CredentialsDep,
    RateLimiterDep,
    UnitOfWorkDep,
    declare_scope,
    get_runtime,
    read_credentials,
)
from core.inputs import Uuid
from core.logging import bind_user_id
from core.openapi import declare_errors
from request_network.auth.service import authenticate
from request_network.requests import service as requests_service
from request_network.requests.models import Request
from request_network.responses.cache import ResponseCache
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.users import service as users_service
from request_network.users.models import User
from shared.platform.principal_deps import bind_principals
from shared.scopes import Scope

__all__ = [
    "AdminUser",
    "CurrentActor",
    "CurrentCaller",
    "CurrentUser",
    "ManagedUser",
    "OwnedRequest",
    "RateLimiterDep",
    "ResponseCacheDep",
    "RuntimeDep",
    "SettingsDep",
    "SubmissionDep",
    "UnitOfWorkDep",
    "any_scope",
    "require_admin",
    "require_role",
    "require_scope",
]


async def get_caller(
    request: HttpRequest, credentials: CredentialsDep, uow: UnitOfWorkDep
) -> Caller[User]:
    return await request_caller(request, uow.session, credentials)


async def request_caller(
    request: HttpRequest, session: AsyncSession, credentials: Credentials | None = None
) -> Caller[User]:
    """The caller, for `CurrentCaller` and for a route that takes no dependencies.

    The token issuer and runtime come from the app rather than as dependencies: FastAPI
    solves each dependency on every call, and this is on the cached read's path.
    """
    state = request.app.state
    caller = await authenticate(
        session=session,
        tokens=state.token_issuer,
        credentials=credentials or read_credentials(request.headers),
        revocations=state.runtime.revocations,
        principals=state.runtime.principals,
    )
    bind_user_id(caller.user.id)  # the rest of the request's log lines name the user
    return caller


async def request_user(request: HttpRequest, session: AsyncSession, *, scope: Scope) -> User:
    """The caller if its credentials carry `scope`: `require_scope` for a route that takes no
    dependencies (it declares the same scope with `declare_scope`)."""
    caller = await request_caller(request, session)
    ensure_scope(caller.scopes, scope)
    return caller.user


async def open_submission(request: HttpRequest) -> AsyncIterator[tuple[UnitOfWork, User]]:
    """`UnitOfWorkDep` and `require_scope(REQUESTS_WRITE)` in one dependency, through the same
    functions: the submission route's. FastAPI solves each dependency (and theirs) on every
    call, and on this route the tree of them cost a tenth of a submission."""
    runtime: RequestRuntime = request.app.state.runtime
    runtime.catalog.read_ahead()
    async with runtime.unit_of_work() as uow:
        yield uow, await request_user(request, uow.session, scope=Scope.REQUESTS_WRITE)


declare_scope(declare_errors(open_submission, 403), Scope.REQUESTS_WRITE)
SubmissionDep = Annotated[tuple[UnitOfWork, User], Depends(open_submission, scope="function")]
"""The unit of work and the caller allowed to submit (scope `requests:write`)."""


identity = bind_principals(get_caller, RequestSettings)
get_current_user, get_current_actor, get_settings = identity.user, identity.actor, identity.settings
require_scope, require_role = identity.scope, identity.role
any_scope, require_admin, require_session = identity.any_scope, identity.admin, identity.session
CurrentCaller = Annotated[Caller[User], Depends(get_caller)]
CurrentUser = Annotated[User, Depends(get_current_user)]
AdminUser = Annotated[User, Depends(require_admin)]
CurrentActor = Annotated[Actor, Depends(get_current_actor)]
SettingsDep = Annotated[RequestSettings, Depends(get_settings)]
RuntimeDep = Annotated[RequestRuntime, Depends(get_runtime)]


async def get_owned_request(request_id: Uuid, user: CurrentUser, uow: UnitOfWorkDep) -> Request:
    """The request in the path, if the caller owns it (or is an admin); else 404."""
    return await requests_service.get_request(
        session=uow.session, viewer=user, request_id=request_id
    )


OwnedRequest = Annotated[Request, Depends(get_owned_request)]


async def get_managed_user(user_id: Uuid, _admin: AdminUser, uow: UnitOfWorkDep) -> User:
    """The user an admin route reads (the role is checked before the lookup); else 404."""
    return await users_service.get_user(session=uow.session, user_id=user_id)


ManagedUser = Annotated[User, Depends(get_managed_user)]


async def get_response_cache(request: HttpRequest) -> ResponseCache:
    runtime: RequestRuntime = request.app.state.runtime
    return runtime.response_cache


ResponseCacheDep = Annotated[ResponseCache, Depends(get_response_cache)]
