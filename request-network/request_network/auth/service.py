"""Who is calling, checked against the replica the `users` stream keeps: passwords, bearer
tokens, API keys. Nothing here changes a user (rehashing happens on the master)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.deps import Caller, Credentials
from core.errors import Unauthorized
from core.runtime import Runtime, ensure_secret
from core.security import TokenIssuer, hash_api_key, verify_password
from request_network.api_keys.models import ApiKey
from request_network.settings import RequestSettings
from request_network.users.models import User
from shared.login import PasswordCheck

MAX_API_KEY_LENGTH = 128
LAST_USED_GRANULARITY = timedelta(minutes=1)
"""`last_used_at` is written at most this often per key, not on every request."""


def build_token_issuer(settings: RequestSettings) -> TokenIssuer:
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


async def check_password(*, session: AsyncSession, username: str, password: str) -> PasswordCheck:
    """The user the username names (if any) and why the login is refused (None: accepted).

    Unknown users cost one dummy verification, like a wrong password.
    """
    user = await session.scalar(select(User).where(User.username == username))
    valid, _outdated = await asyncio.to_thread(
        verify_password, password, user.password_hash if user else None
    )
    if user is None:
        return PasswordCheck(None, "unknown user")
    if user.password_hash is None:
        # An admin or operator whose hash the master keeps (request network login off).
        return PasswordCheck(user, "no password on this network")
    if not valid:
        return PasswordCheck(user, "wrong password")
    if not user.active:
        return PasswordCheck(user, "inactive user")
    return PasswordCheck(user, None)


_USER_COLUMNS = tuple(User.__table__.columns)


class Principals:
    """Users behind bearer tokens, kept for a few seconds per process.

    The cached read path (`GET /requests/{id}/response` from the cache) is otherwise one
    database query per call for the token's user alone. Entries are detached snapshots of the
    replica (read-only here: only the `users` import writes users); that import clears them
    in its own process, the others see the change once an entry expires. Callers get a
    snapshot in no session: never add it to one (nothing on this network writes users).
    """

    MAX_ENTRIES = 10_000

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[uuid.UUID, tuple[float, User]] = {}

    def get(self, user_id: uuid.UUID) -> User | None:
        entry = self._entries.get(user_id)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            self._entries.pop(user_id, None)
            return None
        return entry[1]

    def put(self, user: User) -> None:
        if self.seconds <= 0:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()  # a burst of distinct users: start over, never grow unbounded
        # A copy in no session: the loading session's rollback would expire the original.
        snapshot = User(**{column.key: getattr(user, column.key) for column in _USER_COLUMNS})
        self._entries[user.id] = (time.monotonic() + self.seconds, snapshot)

    def clear(self) -> None:
        self._entries.clear()


def principals(runtime: Runtime) -> Principals:
    """The runtime's principal cache, built on first use."""
    found = runtime.state.get("principals")
    if found is None:
        settings = runtime.settings
        assert isinstance(settings, RequestSettings)
        found = runtime.state["principals"] = Principals(settings.principal_cache_seconds)
    assert isinstance(found, Principals)
    return found


async def user_for_token(
    *,
    session: AsyncSession,
    tokens: TokenIssuer,
    token: str,
    principals: Principals | None = None,
) -> User:
    try:
        claims = tokens.read(token)
        user_id = uuid.UUID(claims.subject)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the token has expired", code="unauthorized.token_expired") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthorized("invalid token", code="unauthorized.token") from exc
    cached = principals.get(user_id) if principals is not None else None
    if cached is not None:
        return cached
    user = await session.get(User, user_id)
    if user is None or not user.active:
        raise Unauthorized("invalid token", code="unauthorized.token")
    if principals is not None:
        principals.put(user)
    return user


async def caller_for_api_key(*, session: AsyncSession, secret: str) -> Caller[User]:
    """The key's owner, with the key's scopes (None: the owner's full reach)."""
    refused = Unauthorized("invalid, expired or revoked API key", code="unauthorized.api_key")
    if len(secret) > MAX_API_KEY_LENGTH:
        raise refused
    key = await session.scalar(select(ApiKey).where(ApiKey.secret_hash == hash_api_key(secret)))
    now = utcnow()
    if key is None or key.revoked_at is not None:
        raise refused
    if key.expires_at is not None and key.expires_at <= now:
        raise refused
    user = await session.get(User, key.user_id)
    if user is None or not user.active:
        raise refused
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_GRANULARITY:
        # Local bookkeeping outside the synced columns; the import never touches it.
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == key.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    return Caller(user, frozenset(key.scopes) if key.scopes is not None else None)


async def authenticate(
    *,
    session: AsyncSession,
    tokens: TokenIssuer,
    credentials: Credentials,
    principals: Principals | None = None,
) -> Caller[User]:
    """The active user behind the credentials and what they allow, or `Unauthorized`."""
    if credentials.api_key is not None:
        return await caller_for_api_key(session=session, secret=credentials.api_key)
    if credentials.token is not None:
        user = await user_for_token(
            session=session, tokens=tokens, token=credentials.token, principals=principals
        )
        return Caller(user)
    raise Unauthorized("authentication required", code="unauthorized.missing")
