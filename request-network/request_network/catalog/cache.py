"""The catalog rows a submission reads, kept per process until the next `catalog` import.

A submission needs the user's profile, the request type and the user's grants: read from the
database, four queries each time, for rows only the `catalog` import ever writes. Each process
keeps them here instead. The import, once it commits, writes a new generation into the
runtime's cache (Redis in production, which every API process and worker shares; in process
when embedded, where the import runs in the API's own process); each submission reads the
generation once (one `GET`) and drops what it kept under another one. So the submission after
an import's commit sees what the import wrote, in every process. Entries are also dropped after
`seconds`, should a generation be lost (the import's write failed while Redis was down).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cache import UNREACHABLE, Cache
from request_network.catalog.models import Grant, Profile, RequestType

GENERATION_KEY = "catalog:generation"

_PROFILE_COLUMNS = tuple(Profile.__table__.columns)
_TYPE_COLUMNS = tuple(RequestType.__table__.columns)


@dataclass(frozen=True)
class GrantedTypes:
    """A user's active grants: the types they open and, per type, the limits they carry."""

    types: frozenset[str]
    limits: Mapping[str, tuple[Mapping[str, Any], ...]]


Row = TypeVar("Row", Profile, RequestType)


def _snapshot(row: Row, columns: tuple[Any, ...]) -> Row:
    # A copy in no session: a rollback of the loading session would expire the original.
    return type(row)(**{column.key: getattr(row, column.key) for column in columns})


async def load_profile(session: AsyncSession, name: str) -> Profile | None:
    """The profile as last synced (the newest row, should a name have been re-created)."""
    return await session.scalar(
        select(Profile).where(Profile.name == name).order_by(Profile.created_at.desc()).limit(1)
    )


async def load_request_type(session: AsyncSession, name: str) -> RequestType | None:
    """The type `name` names: its live row, else its last deleted one; None if unknown."""
    found = (
        await session.scalars(
            select(RequestType).where(RequestType.name == name).order_by(RequestType.created_at)
        )
    ).all()
    return next((t for t in found if t.deleted_at is None), found[-1] if found else None)


async def load_grants(session: AsyncSession, user_id: uuid.UUID) -> GrantedTypes:
    """The user's active grants, in one query."""
    rows = await session.execute(
        select(Grant.request_type, Grant.limits).where(
            Grant.user_id == user_id, Grant.revoked_at.is_(None)
        )
    )
    types: set[str] = set()
    limits: dict[str, list[Mapping[str, Any]]] = {}
    for request_type, granted in rows.all():
        types.add(request_type)
        if granted:
            limits.setdefault(request_type, []).append(granted)
    return GrantedTypes(frozenset(types), {name: tuple(found) for name, found in limits.items()})


class CatalogView:
    """The catalog as of one generation, for one submission; reads what it lacks from the
    session (and keeps it, if the generation was read)."""

    def __init__(self, session: AsyncSession, entries: dict[tuple[str, Any], Any]) -> None:
        self._session = session
        self._entries = entries

    async def _kept(self, key: tuple[str, Any], load: Callable[[], Awaitable[Any]]) -> Any:
        if key not in self._entries:
            self._entries[key] = await load()
        return self._entries[key]

    async def profile(self, name: str) -> Profile | None:
        async def load() -> Profile | None:
            row = await load_profile(self._session, name)
            return None if row is None else _snapshot(row, _PROFILE_COLUMNS)

        found: Profile | None = await self._kept(("profile", name), load)
        return found

    async def request_type(self, name: str) -> RequestType | None:
        async def load() -> RequestType | None:
            row = await load_request_type(self._session, name)
            return None if row is None else _snapshot(row, _TYPE_COLUMNS)

        found: RequestType | None = await self._kept(("type", name), load)
        return found

    async def grants(self, user_id: uuid.UUID) -> GrantedTypes:
        found: GrantedTypes = await self._kept(
            ("grants", user_id), lambda: load_grants(self._session, user_id)
        )
        return found


class CatalogCache:
    """Profiles, request types and grants as submissions read them, per process.

    Entries are snapshots in no session: read them, never add them to one (only the `catalog`
    import writes the catalog here). `seconds` 0 reads the database on every submission.
    """

    MAX_ENTRIES = 10_000

    def __init__(self, cache: Cache, *, seconds: float) -> None:
        self._cache = cache
        self.seconds = seconds
        self._generation: bytes | None = None
        self._entries: dict[tuple[str, Any], Any] = {}
        self._expires = 0.0

    def read_ahead(self) -> None:
        """Read the generation in the round trip of the request's next cache read (the
        token's revocation, on Redis): the `view` after it needs none of its own."""
        if self.seconds > 0:
            self._cache.read_ahead(GENERATION_KEY)

    async def view(self, session: AsyncSession) -> CatalogView:
        """The catalog for one submission: one read of the generation, then what is kept."""
        if self.seconds <= 0:
            return CatalogView(session, {})
        try:
            generation = await self._cache.peek(GENERATION_KEY)
        except UNREACHABLE:
            # Nothing tells whether an import committed meanwhile: read the database.
            return CatalogView(session, {})
        now = time.monotonic()
        stale = generation != self._generation or now >= self._expires
        if stale or len(self._entries) >= self.MAX_ENTRIES:
            # A new dict, not a cleared one: a view of the old generation still filling it
            # (with rows it read before the import committed) must not write into this one.
            self._generation, self._entries, self._expires = generation, {}, now + self.seconds
        return CatalogView(session, self._entries)

    async def changed(self) -> None:
        """After a `catalog` import committed: every process drops what it kept."""
        # A fresh random value, not a counter: a generation Redis lost (restart, eviction)
        # and counted again from zero could repeat the one a process still holds.
        await self._cache.set(GENERATION_KEY, uuid.uuid4().bytes)
        self._entries = {}
