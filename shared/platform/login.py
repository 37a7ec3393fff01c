"""Logging in, the same on both networks: throttle, verify, audit (refusals too), issue a token.

Each network brings its own password check (the master also rehashes outdated hashes) and
its own audit table; the flow and the `POST /auth/token` route are one piece of code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, AuditEventMixin, AuditResult, record_audit
from core.deps import ClientAddress, LoginThrottleDep, RuntimeDep, TokenIssuerDep
from core.errors import Invalid, RateLimited, Unauthorized
from core.openapi import api_router
from core.runtime import Runtime
from core.security import PASSWORD_MAX_LENGTH, LoginThrottle, TokenClaims, TokenIssuer
from shared.principals import credentials_stamp

MAX_USERNAME_LENGTH = 254


@dataclass(frozen=True)
class PasswordCheck:
    user: Any | None
    """The account the username names, if any (also when the login is refused)."""
    refusal: str | None
    """Why the login is refused, for the audit trail only; None when accepted."""


CheckPassword = Callable[..., Awaitable[PasswordCheck]]
"""check(*, session, username, password) -> PasswordCheck"""


FORM = "application/x-www-form-urlencoded"
LOGIN_EXAMPLE = {"username": "alice", "password": "a long passphrase of mine"}


class TokenRead(BaseModel):
    """The token answer, in the shape OAuth2 clients (and Swagger's "Authorize") expect."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl",
                    "token_type": "bearer",
                    "expires_in": 3600,
                }
            ]
        }
    )

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 token type, no secret)
    expires_in: int
    """Seconds until the token expires."""


async def log_in(
    *,
    runtime: Runtime[Any],
    tokens: TokenIssuer,
    throttle: LoginThrottle,
    check_password: CheckPassword,
    audit_model: type[AuditEventMixin],
    username: str,
    password: str,
    address: str | None,
) -> tuple[str, TokenClaims]:
    """A token for the user, or `Unauthorized` (same answer for every reason) or `RateLimited`.

    Opens its own transaction so that a refused login is audited even though it raises.
    """
    if len(username) > MAX_USERNAME_LENGTH or len(password) > PASSWORD_MAX_LENGTH:
        raise Invalid("username or password too long", code="invalid.credentials")
    if "\x00" in username:
        raise Invalid("username must not contain NUL characters", code="invalid.credentials")
    username = username.strip().lower()
    # Counted before the password is checked: racing guesses cannot all pass as the first.
    retry_after = await throttle.admit(username=username, address=address)
    if retry_after is not None:
        raise RateLimited(
            "too many failed logins; try again later",
            code="rate_limited.login",
            headers={"Retry-After": str(retry_after)},
        )
    async with runtime.unit_of_work() as uow:
        session: AsyncSession = uow.session
        check = await check_password(session=session, username=username, password=password)
        user = check.user
        record_audit(
            session=session,
            model=audit_model,
            actor=Actor(user.id if user else None, user.username if user else username, address),
            action="auth.login",
            object_type="user",
            object_id=user.id if user else None,
            result=AuditResult.FAILURE if check.refusal else AuditResult.SUCCESS,
            details={"reason": check.refusal} if check.refusal else None,
        )
    if check.refusal is not None or user is None:
        raise Unauthorized("incorrect username or password", code="unauthorized.credentials")
    await throttle.succeeded(username=username, address=address)
    return tokens.issue(str(user.id), stamp=credentials_stamp(user))


def login_router(check_password: CheckPassword, audit_model: type[AuditEventMixin]) -> APIRouter:
    """`POST /auth/token` (OAuth2 password form) for one network."""
    router = api_router(prefix="/auth", tags=["auth"])

    @router.post(
        "/token",
        operation_id="log_in",
        summary="Log in with username and password; answers a bearer token",
        responses={
            401: {"description": "Wrong username or password (the same answer for both)"},
            429: {"description": "Too many failed logins; see Retry-After"},
        },
        openapi_extra={"requestBody": {"content": {FORM: {"example": LOGIN_EXAMPLE}}}},
    )
    async def token(
        form: Annotated[OAuth2PasswordRequestForm, Depends()],
        runtime: RuntimeDep,
        tokens: TokenIssuerDep,
        throttle: LoginThrottleDep,
        address: ClientAddress,
    ) -> TokenRead:
        access_token, _claims = await log_in(
            runtime=runtime,
            tokens=tokens,
            throttle=throttle,
            check_password=check_password,
            audit_model=audit_model,
            username=form.username,
            password=form.password,
            address=address,
        )
        return TokenRead(access_token=access_token, expires_in=int(tokens.ttl.total_seconds()))

    return router
