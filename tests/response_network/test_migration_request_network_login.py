"""Upgrading an existing master: admins' and operators' hashes leave the replica at the next
export, without waiting for each account's next change."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import text

from core.db import create_engine
from core.migrations import upgrade
from response_network.bootstrap import MIGRATIONS
from tests.conftest import Databases

BEFORE = "0007"


async def execute(url: str, statement: str, **values: object) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), values)
            return [tuple(row) for row in result.fetchall()] if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_existing_staff_are_queued_for_export_with_the_flag_off(
    backend: str, databases: Databases
) -> None:
    url = databases.empty_sqlite() if backend == "embedded" else await databases.empty_postgres()
    await asyncio.to_thread(upgrade, MIGRATIONS, url, BEFORE)
    accounts = {"root": "admin", "olga": "operator", "ursula": "user", "nohash": "operator"}
    ids = {name: uuid.uuid4() for name in accounts}
    for name, role in accounts.items():
        await execute(
            url,
            'INSERT INTO "user" (id, username, email, display_name, role, active, password_hash,'
            " profile, version, created_at, updated_at) VALUES (:id, :name, :email, '', :role,"
            " true, :hash, 'default', 3, :at, :at)",
            id=ids[name] if backend == "production" else ids[name].hex,
            name=name,
            email=f"{name}@example.org",
            role=role,
            hash=None if name == "nohash" else "$argon2id$stored",
            at=datetime(2026, 1, 1, tzinfo=UTC) if backend == "production" else "2026-01-01",
        )

    await asyncio.to_thread(upgrade, MIGRATIONS, url, "head")

    rows = await execute(url, 'SELECT username, version, request_network_login FROM "user"')
    logged = await execute(url, "SELECT stream, record_type, record_id FROM change_log")
    assert sorted(rows) == [
        ("nohash", 3, False),
        ("olga", 4, False),
        ("root", 4, False),
        ("ursula", 3, False),
    ]
    assert sorted((stream, kind, uuid.UUID(str(record))) for stream, kind, record in logged) == (
        sorted([("users", "user", ids["olga"]), ("users", "user", ids["root"])])
    )
