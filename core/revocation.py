"""Revoked access tokens (logging out): a token's id is kept until the token itself expires.

Production keeps them in the runtime's cache (Redis: one key per token, expiring with it), so
every API process sees a revocation at once. The embedded mode has one API process and an
in-process cache that a restart empties, so it keeps them in a small table and answers from
a copy in memory: the check runs on every bearer request, the cached read path included,
which must not open a database session for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import String, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from core.cache import Cache
from core.db import UTCDateTime, utcnow

MAX_TOKEN_ID_LENGTH = 64


class RevokedTokenMixin:
    """The embedded mode's revocations (the network adds `Base` and `__tablename__`)."""

    if TYPE_CHECKING:  # the mapped subclass accepts columns as keywords

        def __init__(self, **kwargs: Any) -> None: ...

    token_id: Mapped[str] = mapped_column(String(MAX_TOKEN_ID_LENGTH), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    """When the token expires: from then on the row is useless and pruned."""


class TokenRevocations(Protocol):
    async def revoke(self, *, session: AsyncSession, token_id: str, expires_at: datetime) -> bool:
        """Refuse the token from now until `expires_at`; False if it already was."""
        ...

    async def is_revoked(self, token_id: str) -> bool: ...


class CachedRevocations:
    """One cache key per revoked token, expiring with the token (production: Redis)."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    @staticmethod
    def _key(token_id: str) -> str:
        return f"revoked:{token_id}"

    async def revoke(self, *, session: AsyncSession, token_id: str, expires_at: datetime) -> bool:
        # Written at once, not after the commit: a revocation that outlives a failed
        # transaction refuses a token too early, never too late.
        seconds = (expires_at - utcnow()).total_seconds()
        if seconds <= 0:
            return False
        return await self._cache.add(self._key(token_id), b"1", ttl=seconds)

    async def is_revoked(self, token_id: str) -> bool:
        return await self._cache.peek(self._key(token_id)) is not None


class TableRevocations:
    """Rows of the network's revoked-token table, mirrored in memory (the embedded mode)."""

    def __init__(
        self, model: type[RevokedTokenMixin], session_factory: async_sessionmaker[AsyncSession]
    ) -> None:
        self._model = model
        self._table: Table = model.__table__  # type: ignore[attr-defined]
        self._session_factory = session_factory
        self._revoked: dict[str, datetime] | None = None

    async def _mirror(self) -> dict[str, datetime]:
        if self._revoked is None:
            async with self._session_factory() as session:
                rows = await session.execute(
                    select(self._table.c.token_id, self._table.c.expires_at).where(
                        self._table.c.expires_at > utcnow()
                    )
                )
                self._revoked = {row.token_id: row.expires_at for row in rows}
        return self._revoked

    async def revoke(self, *, session: AsyncSession, token_id: str, expires_at: datetime) -> bool:
        revoked = await self._mirror()
        now = utcnow()
        if expires_at <= now or token_id in revoked:
            return False
        # Pruned as it grows: the rows of expired tokens go with each new one.
        await session.execute(delete(self._table).where(self._table.c.expires_at <= now))
        values = {"token_id": token_id, "expires_at": expires_at}
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await session.execute(insert(self._table).values(values).on_conflict_do_nothing())
        for stale in [key for key, until in revoked.items() if until <= now]:
            del revoked[stale]
        revoked[token_id] = expires_at
        return True

    async def is_revoked(self, token_id: str) -> bool:
        until = (await self._mirror()).get(token_id)
        return until is not None and until > utcnow()


def build_revocations(
    *,
    cache: Cache,
    shared_cache: bool,
    model: type[RevokedTokenMixin],
    session_factory: async_sessionmaker[AsyncSession],
) -> TokenRevocations:
    """In the cache when it is shared by every process (Redis), else in the table."""
    if shared_cache:
        return CachedRevocations(cache)
    return TableRevocations(model, session_factory)
