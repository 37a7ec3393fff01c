"""Log in: throttle, verify, audit (also a refusal), issue a token."""

from __future__ import annotations

from core.audit import Actor, AuditResult, record_audit
from core.errors import Invalid, RateLimited, Unauthorized
from core.runtime import Runtime
from core.security import PASSWORD_MAX_LENGTH, LoginThrottle, TokenClaims, TokenIssuer
from response_network.audit.models import AuditEvent
from response_network.auth.service import check_password

MAX_USERNAME_LENGTH = 254


async def login(
    *,
    runtime: Runtime,
    tokens: TokenIssuer,
    throttle: LoginThrottle,
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
    retry_after = await throttle.retry_after(username=username, address=address)
    if retry_after is not None:
        raise RateLimited(
            "too many failed logins; try again later",
            code="rate_limited.login",
            headers={"Retry-After": str(retry_after)},
        )
    async with runtime.unit_of_work() as uow:
        check = await check_password(session=uow.session, username=username, password=password)
        user = check.user
        record_audit(
            session=uow.session,
            model=AuditEvent,
            actor=Actor(user.id if user else None, user.username if user else username, address),
            action="auth.login",
            object_type="user",
            object_id=user.id if user else None,
            result=AuditResult.FAILURE if check.refusal else AuditResult.SUCCESS,
            details={"reason": check.refusal} if check.refusal else None,
        )
    if check.refusal is not None or user is None:
        await throttle.failed(username=username, address=address)
        raise Unauthorized("incorrect username or password", code="unauthorized.credentials")
    await throttle.succeeded(username=username)
    return tokens.issue(str(user.id))
