"""The versioned bulk upsert: the one way imported records reach a table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Table, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

CHUNK = 5000


def _newest_per_key(
    rows: Sequence[Mapping[str, Any]], key: str, version: str
) -> Sequence[Mapping[str, Any]]:
    if len({row[key] for row in rows}) == len(rows):
        return rows
    # One statement may not touch a row twice (PostgreSQL refuses): keep the newest.
    newest: dict[Any, Mapping[str, Any]] = {}
    for row in rows:
        held = newest.get(row[key])
        if held is None or row[version] > held[version]:
            newest[row[key]] = row
    return list(newest.values())


async def versioned_upsert(
    *,
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    key: str = "id",
    version: str = "version",
) -> int:
    """Insert rows, or update existing ones only where the incoming version is newer.

    Set-based, no per-row round trips: on PostgreSQL the rows are COPY'd into a temporary
    table and merged with one INSERT ... SELECT ... ON CONFLICT; elsewhere one cached
    statement is executed for many rows. Returns the number of rows written; an older or
    equal version changes nothing, so batches may arrive twice or out of order and the end
    state is the same.
    """
    if not rows:
        return 0
    rows = _newest_per_key(rows, key, version)
    if session.get_bind().dialect.name == "postgresql":
        return await _upsert_by_copy(session, table, rows, key, version)
    columns = list(rows[0].keys())
    statement = sqlite_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={name: statement.excluded[name] for name in columns if name != key},
        where=table.c[version] < statement.excluded[version],
    )
    written = 0
    for start in range(0, len(rows), CHUNK):
        result = await session.execute(
            statement.returning(table.c[key]), list(rows[start : start + CHUNK])
        )
        written += len(result.all())
    return written


async def _upsert_by_copy(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    key: str,
    version: str,
) -> int:
    columns = list(rows[0].keys())
    staging = f"_stage_{table.name}"
    connection = await session.connection()
    # One staging table per target and transaction: creating one per chunk costs catalog
    # work that dominated large imports. It disappears with the transaction.
    staged: set[str] = session.info.setdefault("airlock_staging_tables", set())
    if staging not in staged:
        await connection.execute(
            text(
                f'CREATE TEMPORARY TABLE "{staging}" '
                f'(LIKE "{table.name}" INCLUDING DEFAULTS) ON COMMIT DROP'
            )
        )
        staged.add(staging)
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    # COPY takes driver values; asyncpg encodes UUIDs, booleans and aware datetimes itself,
    # JSON columns need their text. This loop is the hot path of a large import.
    converters = [
        (index, processor)
        for index, name in enumerate(columns)
        if isinstance(table.c[name].type, JSON)
        and (processor := table.c[name].type.bind_processor(connection.dialect)) is not None
    ]
    pick = itemgetter(*columns)
    records: list[list[Any]] = []
    for row in rows:
        values = list(pick(row))
        for index, processor in converters:
            if values[index] is not None:
                values[index] = processor(values[index])
        records.append(values)
    await raw.copy_records_to_table(staging, records=records, columns=columns)
    quoted = ", ".join(f'"{name}"' for name in columns)
    updates = ", ".join(f'"{name}" = excluded."{name}"' for name in columns if name != key)
    merge = pg_insert(table)  # only for its quoting of the target name
    target = merge.table.name
    result = await connection.execute(
        text(
            f'WITH written AS (INSERT INTO "{target}" ({quoted}) SELECT {quoted} FROM "{staging}" '
            f'ON CONFLICT ("{key}") DO UPDATE SET {updates} '
            f'WHERE "{target}"."{version}" < excluded."{version}" RETURNING 1) '
            "SELECT count(*) FROM written"
        )
    )
    written = int(result.scalar_one())
    await connection.execute(text(f'TRUNCATE "{staging}"'))
    return written
