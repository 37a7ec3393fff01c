"""Who is calling, the same on both networks: one role ladder, and the bearer token or API key
checked against the network's own `user` and `api_key` tables (passed in, as `shared.platform.login`
takes the password check). Nothing here knows HTTP; `shared.platform.principal_deps` wraps it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import jwt
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.credentials import Caller, Credentials
from core.db import utcnow
from core.errors import AirlockError, NotFound, Unauthorized
from core.revocation import TokenRevocations
from core.runtime import ensure_secret
from core.security import TokenClaims, TokenIssuer, hash_api_key

MAX_API_KEY_LENGTH = 128
LAST_USED_GRANULARITY = timedelta(minutes=1)
"""`last_used_at` is written at most this often per key, not on every request."""


class Role(enum.StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    USER = "user"

    def at_least(self, minimum: Role) -> bool:
        return _RANK[self] >= _RANK[minimum]


_RANK = {Role.USER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


class Principal(Protocol):
    """What authentication and role checks read of a network's `User`."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def active(self) -> bool: ...
    @property
    def password_changed_at(self) -> datetime | None: ...


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def credentials_stamp(user: Principal) -> str | None:
    """What a token issued to `user` now carries (its `stamp` claim): the time of the last
    password change, in microseconds. A change gives a new stamp, which refuses every token
    issued before it; None (never changed) matches tokens without the claim."""
    if user.password_changed_at is None:
        return None
    return str((user.password_changed_at - _EPOCH) // timedelta(microseconds=1))


UserT = TypeVar("UserT", bound=Principal)


class PrincipalCache(Protocol[UserT]):
    """Users behind tokens kept for a while (the request network's `Principals`)."""

    def get(self, user_id: uuid.UUID) -> UserT | None: ...
    def put(self, user: UserT) -> None: ...


class TokenSettings(Protocol):
    """What the token issuer reads of a network's settings."""

    @property
    def network_name(self) -> str: ...
    @property
    def var_dir(self) -> Path: ...
    @property
    def secret_key(self) -> SecretStr: ...
    @property
    def token_ttl_minutes(self) -> int: ...


def build_token_issuer(settings: TokenSettings) -> TokenIssuer:
    """The network's issuer; without a configured secret, one generated once under var_dir."""
    secret = settings.secret_key.get_secret_value() or ensure_secret(
        settings.var_dir / f"{settings.network_name}.secret"
    )
    return TokenIssuer(
        secret=secret,
        issuer=settings.network_name,
        audience=f"airlock-{settings.network_name}",
        ttl=timedelta(minutes=settings.token_ttl_minutes),
    )


def read_token(tokens: TokenIssuer, token: str) -> TokenClaims:
    """The token's claims, or `Unauthorized` for an expired or bad one."""
    try:
        claims = tokens.read(token)
        uuid.UUID(claims.subject)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the token has expired", code="unauthorized.token_expired") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthorized("invalid token", code="unauthorized.token") from exc
    return claims


async def user_for_token(
    *,
    session: AsyncSession,
    users: type[UserT],
    tokens: TokenIssuer,
    token: str,
    revocations: TokenRevocations | None = None,
    principals: PrincipalCache[UserT] | None = None,
) -> tuple[UserT, TokenClaims]:
    """The token's active user; `Unauthorized` for a bad, expired, logged-out token or one
    issued before the user's password last changed."""
    claims = read_token(tokens, token)
    # Before the principal cache: a logged-out token must never be served from it.
    if revocations is not None and await revocations.is_revoked(claims.token_id):
        raise Unauthorized("the token was logged out", code="unauthorized.token_revoked")
    user_id = uuid.UUID(claims.subject)
    cached = principals.get(user_id) if principals is not None else None
    # A cached user with another stamp may predate a password change: read it again.
    if cached is not None and credentials_stamp(cached) == claims.stamp:
        return cached, claims
    user = await session.get(users, user_id)
    if user is None or not user.active:
        raise Unauthorized("invalid token", code="unauthorized.token")
    if principals is not None:
        principals.put(user)
    if credentials_stamp(user) != claims.stamp:
        raise Unauthorized(
            "the password changed since this token was issued; log in again",
            code="unauthorized.token_superseded",
        )
    return user, claims


async def caller_for_api_key(
    *, session: AsyncSession, users: type[UserT], api_keys: type[Any], secret: str
) -> Caller[UserT]:
    """The key's owner, with the key's scopes (None: the owner's full reach)."""
    refused = Unauthorized("invalid, expired or revoked API key", code="unauthorized.api_key")
    if len(secret) > MAX_API_KEY_LENGTH:
        raise refused
    key = await session.scalar(select(api_keys).where(api_keys.secret_hash == hash_api_key(secret)))
    now = utcnow()
    if key is None or key.revoked_at is not None:
        raise refused
    if key.expires_at is not None and key.expires_at <= now:
        raise refused
    user = await session.get(users, key.user_id)
    if user is None or not user.active:
        raise refused
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_GRANULARITY:
        # Bookkeeping, not a change of the key: a plain UPDATE, no version bump, outside
        # what the users stream exports or imports.
        await session.execute(
            update(api_keys)
            .where(api_keys.id == key.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    return Caller(user, frozenset(key.scopes) if key.scopes is not None else None)


async def authenticate(
    *,
    session: AsyncSession,
    users: type[UserT],
    api_keys: type[Any],
    tokens: TokenIssuer,
    credentials: Credentials,
    revocations: TokenRevocations | None = None,
    principals: PrincipalCache[UserT] | None = None,
) -> Caller[UserT]:
    """The active user behind the credentials and what they allow, or `Unauthorized`."""
    if credentials.api_key is not None:
        return await caller_for_api_key(
            session=session, users=users, api_keys=api_keys, secret=credentials.api_key
        )
    if credentials.token is not None:
        user, claims = await user_for_token(
            session=session,
            users=users,
            tokens=tokens,
            token=credentials.token,
            revocations=revocations,
            principals=principals,
        )
        return Caller(user, token=claims)
    raise Unauthorized("authentication required", code="unauthorized.missing")


def ensure_session(*, api_key: bool) -> None:
    """400 `bad_request.token_required` for an API key on a session route (logging out,
    changing one's password): those act on a login, and a key is no login."""
    if api_key:
        raise AirlockError(
            "this route takes a login token, not an API key (keys are revoked through the "
            "API key routes)",
            code="bad_request.token_required",
        )


def ensure_owner_or_admin(user: Principal, owner_id: uuid.UUID, *, missing: NotFound) -> None:
    """Someone else's object is reported missing, not forbidden, so ids cannot be probed."""
    if user.id != owner_id and user.role != Role.ADMIN:
        raise missing
