"""Each network's Alembic history upgrades to head and downgrades to base on both backends."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Uuid, bindparam, inspect, text

from core.db import UTCDateTime, create_engine
from core.migrations import current_revision, downgrade, head_revision, upgrade
from request_network import db as request_db
from response_network import db as response_db
from tests.conftest import MIGRATIONS, Databases


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


@pytest.mark.parametrize("network", ["response", "request"])
async def test_upgrade_head_then_downgrade_base(
    network: str, backend: str, databases: Databases
) -> None:
    url = databases.empty_sqlite() if backend == "embedded" else await databases.empty_postgres()
    script = MIGRATIONS[network]
    await asyncio.to_thread(upgrade, script, url)
    assert await current_revision(url) == head_revision(script)
    assert {"user", "worker_heartbeat"} <= await _tables(url)
    await asyncio.to_thread(downgrade, script, url)
    assert await current_revision(url) is None
    assert await _tables(url) == set()


@pytest.mark.parametrize("network", ["response", "request"])
async def test_the_migrations_build_exactly_the_models(
    network: str, backend: str, databases: Databases
) -> None:
    """A model without its migration (or a model module the metadata misses) shows here."""
    module = response_db if network == "response" else request_db
    module.load_models()
    url = await databases.migrated(network, backend)
    engine = create_engine(url)
    async with engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), module.Base.metadata)
        )
    await engine.dispose()
    assert differences == []


async def _request_types(url: str, column: str) -> list[str]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        rows = await connection.execute(text(f"SELECT {column} FROM request"))
        found = [row[0] for row in rows]
    await engine.dispose()
    return found


async def test_renaming_the_request_type_column_keeps_the_requests(
    backend: str, databases: Databases
) -> None:
    """0012 renames `request.kind` to `request_type` with the rows in it, and back."""
    url = databases.empty_sqlite() if backend == "embedded" else await databases.empty_postgres()
    script = MIGRATIONS["request"]
    await asyncio.to_thread(upgrade, script, url, "0008")
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO request (id, owner_id, kind, type_version, parameters, priority,"
                " status, request_hash, created_at, updated_at, version) VALUES (:id, :owner,"
                " 'weather', 1, '{}', 5, 'pending', 'h', :at, :at, 1)"
            ).bindparams(
                bindparam("id", type_=Uuid),
                bindparam("owner", type_=Uuid),
                bindparam("at", type_=UTCDateTime()),
            ),
            {"id": uuid.uuid4(), "owner": uuid.uuid4(), "at": datetime.now(UTC)},
        )
    await engine.dispose()

    await asyncio.to_thread(upgrade, script, url, "0012")
    renamed = await _request_types(url, "request_type")
    await asyncio.to_thread(downgrade, script, url, "0008")
    restored = await _request_types(url, "kind")

    assert (renamed, restored) == (["weather"], ["weather"])
