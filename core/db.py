"""Async engine, session factory, unit of work and column types shared by both networks."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import structlog
from sqlalchemy import DateTime, MetaData, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.types import TypeDecorator

log = structlog.get_logger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    """Each network owns one MetaData; the naming convention keeps migrations stable."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers work while the importer writes; busy_timeout waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _refuse_closed(
    dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    # Instead of `pool_pre_ping`, which costs asyncpg three round trips a checkout (BEGIN, a
    # query, ROLLBACK): asyncpg marks a connection closed as soon as the event loop reads the
    # server's end of it (a restart, a terminated backend), and the pool then reconnects.
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for `sqlite+aiosqlite://` or `postgresql+asyncpg://` URLs."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=10,
        max_overflow=10,
        # Fail fast when the database is down so /health/ready answers instead of hanging.
        connect_args={"timeout": 5},
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


AfterCommit = Callable[[], Awaitable[None]]
_UOW_KEY = "airlock_unit_of_work"


def after_commit(session: AsyncSession, hook: AfterCommit) -> None:
    """Run `hook` once the unit of work that owns `session` commits.

    A session not opened by a `UnitOfWork` has no such moment: refuse rather than run the
    side effect for data that may still roll back.
    """
    uow = session.info.get(_UOW_KEY)
    if not isinstance(uow, UnitOfWork):
        raise RuntimeError("after_commit needs a session opened by a UnitOfWork")
    uow.after_commit(hook)


class UnitOfWork:
    """One transaction per request or job, plus hooks that run only after it commits.

    Work that must not happen for rolled-back data (enqueue a job, invalidate a cache)
    is registered with `after_commit` and runs once the commit succeeded.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._after_commit: list[AfterCommit] = []
        self._session: AsyncSession | None = None
        self._open = False

    @property
    def session(self) -> AsyncSession:
        """The session, made on first use: a request served from caches never opens one."""
        if not self._open:
            raise RuntimeError("unit of work used outside `async with`")
        if self._session is None:
            self._session = self._session_factory()
            # Code deep in a flow holds only the session; `after_commit(session, ...)` finds us.
            self._session.info[_UOW_KEY] = self
        return self._session

    def after_commit(self, hook: AfterCommit) -> None:
        self._after_commit.append(hook)

    async def __aenter__(self) -> UnitOfWork:
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session, self._open = self._session, None, False
        # The session begins its transaction on its first use (autobegin: a statement, or
        # adding an object); one never used has nothing to commit or release.
        if session is not None and session.in_transaction():
            try:
                if exc_type is None:
                    await session.commit()
                else:
                    await session.rollback()
            finally:
                await session.close()
        if exc_type is None:
            await self._run_hooks()

    async def _run_hooks(self) -> None:
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            try:
                await hook()
            except Exception:
                # The data is committed; a failed side effect is logged, never un-commits it.
                log.exception("after_commit_hook_failed", hook=getattr(hook, "__name__", "?"))
