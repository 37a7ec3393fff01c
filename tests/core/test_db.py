"""The unit of work and the engine settings, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import UnitOfWork, after_commit, create_engine, create_session_factory
from core.heartbeat import latest_heartbeats, record_heartbeat
from response_network.operations.models import WorkerHeartbeat
from tests.conftest import Databases
from tests.services import run_postgres_cluster


@pytest.fixture
async def session_factory(backend: str, databases: Databases):  # type: ignore[no-untyped-def]
    engine = create_engine(await databases.migrated("response", backend))
    yield create_session_factory(engine)
    await engine.dispose()


async def _names(session_factory) -> list[str]:  # type: ignore[no-untyped-def]
    async with UnitOfWork(session_factory) as uow:
        rows = await latest_heartbeats(session=uow.session, model=WorkerHeartbeat)
        return sorted(row.worker for row in rows)


async def test_commit_then_hooks_run(session_factory) -> None:  # type: ignore[no-untyped-def]
    ran: list[list[str]] = []
    async with UnitOfWork(session_factory) as uow:
        await record_heartbeat(session=uow.session, model=WorkerHeartbeat, worker="w1")

        async def hook() -> None:
            ran.append(await _names(session_factory))

        uow.after_commit(hook)
        assert ran == []
    # The hook saw the committed row: it ran after the commit, not before.
    assert ran == [["w1"]]


async def test_code_holding_only_the_session_can_wait_for_the_commit(session_factory) -> None:  # type: ignore[no-untyped-def]
    ran: list[list[str]] = []

    async def hook() -> None:
        ran.append(await _names(session_factory))

    async with UnitOfWork(session_factory) as uow:
        await record_heartbeat(session=uow.session, model=WorkerHeartbeat, worker="w3")
        after_commit(uow.session, hook)
        assert ran == []
    assert ran == [["w3"]]

    bare = session_factory()
    try:
        with pytest.raises(RuntimeError, match="UnitOfWork"):
            after_commit(bare, hook)
    finally:
        await bare.close()


async def test_error_rolls_back_and_skips_hooks(session_factory) -> None:  # type: ignore[no-untyped-def]
    ran: list[str] = []

    async def hook() -> None:
        ran.append("ran")

    async def crash_mid_work() -> None:
        async with UnitOfWork(session_factory) as uow:
            await record_heartbeat(session=uow.session, model=WorkerHeartbeat, worker="w2")
            uow.after_commit(hook)
            raise RuntimeError("crash mid-work")

    with pytest.raises(RuntimeError):
        await crash_mid_work()
    assert await _names(session_factory) == []
    assert ran == []


async def test_failing_hook_does_not_undo_the_commit(session_factory) -> None:  # type: ignore[no-untyped-def]
    async def broken() -> None:
        raise ValueError("cache down")

    async with UnitOfWork(session_factory) as uow:
        await record_heartbeat(session=uow.session, model=WorkerHeartbeat, worker="w3")
        uow.after_commit(broken)
    assert await _names(session_factory) == ["w3"]


async def test_heartbeat_upsert_is_idempotent_and_timezone_aware(session_factory) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        async with UnitOfWork(session_factory) as uow:
            await record_heartbeat(session=uow.session, model=WorkerHeartbeat, worker="w4")
    async with UnitOfWork(session_factory) as uow:
        rows = list((await uow.session.execute(select(WorkerHeartbeat))).scalars())
    assert len(rows) == 1
    assert rows[0].last_seen_at.tzinfo is not None
    assert abs((datetime.now(UTC) - rows[0].last_seen_at).total_seconds()) < 60


async def test_sqlite_pragmas(databases: Databases) -> None:
    engine = create_engine(databases.empty_sqlite())
    async with engine.connect() as connection:
        journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
        foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
        busy = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
    await engine.dispose()
    assert (journal, foreign_keys, busy) == ("wal", 1, 5000)


def test_naive_datetimes_are_refused() -> None:
    from core.db import UTCDateTime

    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), None)  # type: ignore[arg-type]


async def test_pooled_connections_survive_a_database_restart_between_requests() -> None:
    # No request runs during the outage, so none fails and invalidates the pool: each pooled
    # connection is found closed when it is next checked out, not handed out dead.
    with run_postgres_cluster(crash_safe=True) as cluster:
        engine = create_engine(cluster.server.url("postgres"))
        try:
            await _select_one_on_three_connections(engine)
            assert engine.pool.checkedin() == 3  # type: ignore[attr-defined]

            # In threads: the event loop runs meanwhile, as it does through a real outage.
            await asyncio.to_thread(cluster.stop)
            await asyncio.to_thread(cluster.start)

            assert await _select_one_on_three_connections(engine) == [1, 1, 1]
        finally:
            await engine.dispose()


async def _select_one_on_three_connections(engine: AsyncEngine) -> list[int]:
    all_connected = asyncio.Barrier(3)

    async def select_one() -> int:
        async with engine.connect() as connection:
            await all_connected.wait()  # so that each holds a connection of its own
            return int((await connection.execute(text("SELECT 1"))).scalar_one())

    return await asyncio.gather(*(select_one() for _ in range(3)))
