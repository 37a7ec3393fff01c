"""Each network's Alembic history upgrades to head and downgrades to base on both backends."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from core.db import create_engine
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
