"""Dependencies with no domain words: the runtime, the unit of work, the caller's credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.datastructures import Headers

from core.credentials import Credentials, credentials_of
from core.db import UnitOfWork
from core.ratelimit import RateLimiter
from core.revocation import TokenRevocations
from core.runtime import Runtime
from core.security import LoginThrottle, TokenIssuer


async def get_runtime(request: Request) -> Runtime[Any]:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a hop that
    # cost more than the whole cached read path.
    runtime: Runtime[Any] = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime[Any], Depends(get_runtime)]


async def get_unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """Commits when the route returns and before the response is sent; rolls back on error."""
    # The runtime from the request rather than `RuntimeDep`: every sub-dependency costs each
    # call, and most routes take this one.
    runtime: Runtime[Any] = request.app.state.runtime
    async with runtime.unit_of_work() as uow:
        yield uow


UnitOfWorkDep = Annotated[UnitOfWork, Depends(get_unit_of_work, scope="function")]


async def get_client_address(request: Request) -> str | None:
    """The caller's address: the connection's peer, or, when that peer is a proxy named in
    `FORWARDED_ALLOW_IPS`, the client its `X-Forwarded-For` names (the app applies it)."""
    return request.client.host if request.client else None


ClientAddress = Annotated[str | None, Depends(get_client_address)]


async def get_token_issuer(request: Request) -> TokenIssuer:
    """The app's token issuer, built once by `create_app` (its secret read once)."""
    issuer: TokenIssuer = request.app.state.token_issuer
    return issuer


TokenIssuerDep = Annotated[TokenIssuer, Depends(get_token_issuer)]


async def get_revocations(request: Request) -> TokenRevocations:
    """The runtime's revoked tokens, set on the app by `create_app`."""
    revocations: TokenRevocations = request.app.state.revocations
    return revocations


RevocationsDep = Annotated[TokenRevocations, Depends(get_revocations)]


async def get_login_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]


async def get_rate_limiter(request: Request) -> RateLimiter:
    """The app's rate limiter, built once by `create_app` on the runtime's backend."""
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]

# Declared as security schemes so OpenAPI (and Swagger's "Authorize") knows both ways in.
bearer_scheme = OAuth2PasswordBearer(
    tokenUrl="/auth/token",
    auto_error=False,
    description="A token from POST /auth/token, or an API key (`ak_...`) as the bearer.",
)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


def read_credentials(headers: Headers) -> Credentials:
    """What `get_credentials` finds, read straight from the headers (for a route that takes
    no dependencies); the header names and parsing are the security schemes'."""
    scheme, bearer = get_authorization_scheme_param(headers.get("Authorization"))
    return credentials_of(
        bearer if scheme.lower() == "bearer" else None, headers.get(api_key_scheme.model.name)
    )


# The two ways in, as OpenAPI names them: for a route that declares them without dependencies.
SECURITY_REQUIREMENTS: list[dict[str, list[str]]] = [
    {bearer_scheme.scheme_name: []},
    {api_key_scheme.scheme_name: []},
]


async def get_credentials(
    bearer: Annotated[str | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Credentials:
    return credentials_of(bearer, api_key)


CredentialsDep = Annotated[Credentials, Depends(get_credentials)]


_SCOPE_ATTRIBUTE = "__airlock_scope__"
DependencyT = TypeVar("DependencyT", bound=Callable[..., Any])


def declare_scope(target: DependencyT, scope: str | None) -> DependencyT:
    """Mark a dependency (or a route that checks its own credentials) with the scope it
    enforces, so a walk over the routes can tell that every route declares one."""
    setattr(target, _SCOPE_ATTRIBUTE, scope)
    return target


def declared_scope(target: Callable[..., Any]) -> tuple[bool, str | None]:
    """(whether `target` declares a scope, which: None means any credentials will do)."""
    if not hasattr(target, _SCOPE_ATTRIBUTE):
        return False, None
    return True, getattr(target, _SCOPE_ATTRIBUTE)
