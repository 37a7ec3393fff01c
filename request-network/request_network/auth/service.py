"""Who is calling, checked against the replica the `users` stream keeps: passwords, bearer
tokens, API keys. Nothing here changes a user (rehashing happens on the master)."""

from __future__ import annotations

import asyncio
import time
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.credentials import Caller, Credentials
from core.revocation import TokenRevocations
from core.security import TokenIssuer, verify_password
from request_network.api_keys.models import ApiKey
from request_network.users.models import User
from shared import principals as principals_service
from shared.platform.login import PasswordCheck
from shared.principals import build_token_issuer

__all__ = ["Principals", "authenticate", "build_token_issuer", "check_password"]


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

    def drop(self, user_id: uuid.UUID) -> None:
        self._entries.pop(user_id, None)


async def authenticate(
    *,
    session: AsyncSession,
    tokens: TokenIssuer,
    credentials: Credentials,
    revocations: TokenRevocations | None = None,
    principals: Principals | None = None,
) -> Caller[User]:
    """The active user behind the credentials (a token's user possibly from `principals`,
    never for a logged-out token)."""
    return await principals_service.authenticate(
        session=session,
        users=User,
        api_keys=ApiKey,
        tokens=tokens,
        credentials=credentials,
        revocations=revocations,
        principals=principals,
    )
