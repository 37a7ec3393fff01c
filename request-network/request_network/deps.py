"""Annotated dependencies of the request network's routes: identity and roles."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi import Request as HttpRequest
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor
from core.deps import (
    Caller,
    ClientAddress,
    Credentials,
    CredentialsDep,
    RateLimiterDep,
    RuntimeDep,
    UnitOfWorkDep,
    declare_scope,
    ensure_scope,
    read_credentials,
)
from core.errors import Forbidden, NotFound
from core.logging import bind_user_id
from request_network.auth.service import authenticate, principals
from request_network.requests import service as requests_service
from request_network.requests.models import Request
from request_network.responses.cache import ResponseCache, response_cache
from request_network.settings import RequestSettings
from request_network.users.models import Role, User
from shared.scopes import Scope

__all__ = [
    "AdminUser",
    "CurrentActor",
    "CurrentCaller",
    "CurrentUser",
    "OwnedRequest",
    "RateLimiterDep",
    "ResponseCacheDep",
    "RuntimeDep",
    "SettingsDep",
    "UnitOfWorkDep",
    "any_scope",
    "ensure_owner_or_admin",
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
        principals=principals(state.runtime),
    )
    bind_user_id(caller.user.id)  # the rest of the request's log lines name the user
    return caller


async def request_user(request: HttpRequest, session: AsyncSession, *, scope: Scope) -> User:
    """The caller if its credentials carry `scope`: `require_scope` for a route that takes no
    dependencies (it declares the same scope with `declare_scope`)."""
    caller = await request_caller(request, session)
    ensure_scope(caller.scopes, scope)
    return caller.user


CurrentCaller = Annotated[Caller[User], Depends(get_caller)]


async def get_current_user(caller: CurrentCaller) -> User:
    return caller.user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_scope(scope: Scope | None) -> Callable[[Caller[User]], Awaitable[User]]:
    """A dependency that lets through credentials carrying `scope` (None: any), else 403."""

    async def check(caller: CurrentCaller) -> User:
        ensure_scope(caller.scopes, scope)
        return caller.user

    check.__name__ = f"require_scope_{scope or 'any'}"
    return declare_scope(check, scope)


any_scope = require_scope(None)
"""For routes every authenticated caller may use, whatever its key's scopes (`/users/me`)."""


def require_role(minimum: Role, scope: Scope) -> Callable[[Caller[User]], Awaitable[User]]:
    """A dependency that lets through users of `minimum` role or above whose credentials
    carry `scope`, else 403 (`forbidden.role`, then `forbidden.scope`)."""

    async def check(caller: CurrentCaller) -> User:
        if not caller.user.role_level.at_least(minimum):
            raise Forbidden(f"this needs the {minimum.value} role", code="forbidden.role")
        ensure_scope(caller.scopes, scope)
        return caller.user

    check.__name__ = f"require_{minimum.value}"
    return declare_scope(check, scope)


require_admin = require_role(Role.ADMIN, Scope.ADMIN)
AdminUser = Annotated[User, Depends(require_admin)]


async def get_current_actor(user: CurrentUser, address: ClientAddress) -> Actor:
    """The caller as the audit trail names them: who, and from which address."""
    return Actor(id=user.id, name=user.username, address=address)


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


def ensure_owner_or_admin(user: User, owner_id: uuid.UUID, *, missing: NotFound) -> None:
    """Someone else's object is reported missing, not forbidden, so ids cannot be probed."""
    if user.id != owner_id and user.role_level != Role.ADMIN:
        raise missing


async def get_settings(runtime: RuntimeDep) -> RequestSettings:
    settings = runtime.settings
    assert isinstance(settings, RequestSettings)
    return settings


SettingsDep = Annotated[RequestSettings, Depends(get_settings)]


async def get_owned_request(
    request_id: uuid.UUID, user: CurrentUser, uow: UnitOfWorkDep
) -> Request:
    """The request in the path, if the caller owns it (or is an admin); else 404."""
    return await requests_service.get_request(
        session=uow.session, viewer=user, request_id=request_id
    )


OwnedRequest = Annotated[Request, Depends(get_owned_request)]


async def get_response_cache(request: HttpRequest) -> ResponseCache:
    return response_cache(request.app.state.runtime)


ResponseCacheDep = Annotated[ResponseCache, Depends(get_response_cache)]
