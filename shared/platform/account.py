"""One's own account, the same on both networks: logging out and changing one's password.

Each network brings its own `User` model, audit table and (the request network) what else a
change writes; the flows and the `POST /auth/logout` and `POST /users/me/password` routes are
one piece of code.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, AuditEventMixin, AuditResult, record_audit
from core.credentials import Caller, Credentials
from core.db import utcnow
from core.deps import (
    ClientAddress,
    CredentialsDep,
    LoginThrottleDep,
    RevocationsDep,
    RuntimeDep,
    TokenIssuerDep,
    UnitOfWorkDep,
    bearer_scheme,
    declare_scope,
)
from core.errors import Forbidden, Invalid, RateLimited, Unauthorized
from core.openapi import api_router, declare_security
from core.revocation import TokenRevocations
from core.runtime import Runtime
from core.security import (
    PASSWORD_MAX_LENGTH,
    LoginThrottle,
    TokenClaims,
    TokenIssuer,
    hash_password,
    password_policy_violation,
    verify_password,
)
from shared.platform.login import TokenRead
from shared.principals import credentials_stamp, ensure_session, read_token
from shared.scopes import SESSION_ONLY


class PasswordUpdate(BaseModel):
    """`POST /users/me/password`: the current password proves it is you."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "current_password": "the one I use today",
                    "new_password": "a longer passphrase of mine",
                }
            ]
        },
    )

    current_password: str = Field(max_length=PASSWORD_MAX_LENGTH)
    new_password: str = Field(max_length=PASSWORD_MAX_LENGTH)
    """Checked by the password policy (422 `invalid.password` naming the rule)."""


async def log_out(
    *,
    session: AsyncSession,
    tokens: TokenIssuer,
    revocations: TokenRevocations,
    credentials: Credentials,
    users: type[Any],
    audit_model: type[AuditEventMixin],
    address: str | None,
) -> None:
    """Refuse the presented token from now until it expires. Idempotent: a token already
    logged out is accepted again and nothing is written. It authenticates nobody, so a
    token a password change already ended may be logged out too."""
    ensure_session(api_key=credentials.api_key is not None)
    if credentials.token is None:
        raise Unauthorized("authentication required", code="unauthorized.missing")
    claims = read_token(tokens, credentials.token)
    revoked = await revocations.revoke(
        session=session, token_id=claims.token_id, expires_at=claims.expires_at
    )
    if not revoked:
        return
    user = await session.get(users, uuid.UUID(claims.subject))
    record_audit(
        session=session,
        model=audit_model,
        actor=Actor(user.id if user else None, user.username if user else claims.subject, address),
        action="auth.logout",
        object_type="user",
        object_id=uuid.UUID(claims.subject),
        details={"expires_at": claims.expires_at.isoformat()},
    )


def logout_router(users: type[Any], audit_model: type[AuditEventMixin]) -> APIRouter:
    """`POST /auth/logout` for one network."""
    router = api_router(prefix="/auth", tags=["auth"])

    @router.post(
        "/logout",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Log out: the presented token is refused from now on (API keys: 400)",
        responses={
            400: {"description": "`bad_request.token_required`: an API key is no login"},
            401: {"description": "No token, or a bad or expired one"},
        },
    )
    async def logout(
        credentials: CredentialsDep,
        tokens: TokenIssuerDep,
        revocations: RevocationsDep,
        uow: UnitOfWorkDep,
        address: ClientAddress,
    ) -> None:
        await log_out(
            session=uow.session,
            tokens=tokens,
            revocations=revocations,
            credentials=credentials,
            users=users,
            audit_model=audit_model,
            address=address,
        )

    declare_scope(logout, SESSION_ONLY)
    declare_security(logout, [{bearer_scheme.scheme_name: []}])
    return router


RecordChange = Callable[[AsyncSession, Any], Awaitable[None]]
"""record(session, user): what else a network writes with a new password (the request
network queues it for the master), inside the change's transaction."""


async def change_password(
    *,
    runtime: Runtime[Any],
    throttle: LoginThrottle,
    tokens: TokenIssuer,
    users: type[Any],
    audit_model: type[AuditEventMixin],
    caller: Any,
    data: PasswordUpdate,
    address: str | None,
    record_change: RecordChange | None = None,
) -> tuple[str, TokenClaims]:
    """Store the new password and answer a token for it; every token issued before (the
    caller's own included) is refused from now on, and the user's login throttle forgotten.

    A wrong current password counts as a failed login for the throttle and is audited (in a
    transaction of its own, like `log_in`'s refusals) before the 403. `caller` is the
    authenticated user (possibly a cached snapshot: it is read again here).
    """
    user_id, username, email = caller.id, caller.username, caller.email
    problem = password_policy_violation(data.new_password, personal=(username, email))
    if problem is not None:
        raise Invalid(problem, code="invalid.password")
    retry_after = await throttle.admit(username=username, address=address)
    if retry_after is not None:
        raise RateLimited(
            "too many wrong passwords; try again later",
            code="rate_limited.login",
            headers={"Retry-After": str(retry_after)},
        )
    async with runtime.unit_of_work() as uow:
        session = uow.session
        user = await session.get(users, user_id)
        valid, _outdated = await asyncio.to_thread(
            verify_password, data.current_password, user.password_hash if user else None
        )
        if user is None or not user.active:
            raise Unauthorized("invalid token", code="unauthorized.token")
        actor = Actor(user.id, user.username, address)
        if valid:
            user.password_hash = await asyncio.to_thread(hash_password, data.new_password)
            user.password_changed_at = utcnow()
            if record_change is not None:
                await record_change(session, user)
            await session.flush()
        record_audit(
            session=session,
            model=audit_model,
            actor=actor,
            action="user.password_changed",
            object_type="user",
            object_id=user.id,
            result=AuditResult.SUCCESS if valid else AuditResult.FAILURE,
            details=None if valid else {"reason": "wrong current password"},
        )
        stamp = credentials_stamp(user)
    if not valid:
        raise Forbidden("the current password is wrong", code="forbidden.current_password")
    await throttle.succeeded(username=username, address=address)
    await throttle.forget(username=username)
    return tokens.issue(str(user_id), stamp=stamp)


ChangeOwnPassword = Callable[..., Awaitable[tuple[str, TokenClaims]]]
"""change(runtime=, throttle=, tokens=, user=, data=, address=): a network's own-password
service, answering a new token and its claims."""


def password_router(
    *,
    session: Callable[..., Awaitable[Caller[Any]]],
    change: ChangeOwnPassword,
    summary: str,
    forbidden: str,
) -> APIRouter:
    """`POST /users/me/password` for one network: `session` is its login-token-only caller
    dependency (API keys get 400), `change` its service."""
    router = api_router(tags=["users"])

    @router.post(
        "/users/me/password",
        summary=summary,
        responses={
            400: {"description": "`bad_request.token_required`: an API key is no login"},
            403: {"description": forbidden},
            422: {"description": "`invalid.password`: the new password breaks the policy"},
            429: {"description": "Too many wrong passwords; see Retry-After"},
        },
    )
    async def change_password(
        data: PasswordUpdate,
        runtime: RuntimeDep,
        throttle: LoginThrottleDep,
        tokens: TokenIssuerDep,
        address: ClientAddress,
        # A default, not an annotation: annotations are strings here (postponed evaluation)
        # and FastAPI resolves them in the module, where the network's `session` is not.
        caller: Caller[Any] = Depends(session),
    ) -> TokenRead:
        token, _claims = await change(
            runtime=runtime,
            throttle=throttle,
            tokens=tokens,
            user=caller.user,
            data=data,
            address=address,
        )
        return TokenRead(access_token=token, expires_in=int(tokens.ttl.total_seconds()))

    return router
