"""The versioned bulk upsert: the one way imported records reach a table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import JSON, Table, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

CHUNK = 5000
"""Rows per executed statement off PostgreSQL."""

Row = tuple[Any, ...]
R = TypeVar("R", Row, Mapping[str, Any])


def _newest_per_key(rows: Sequence[R], key: Any, version: Any) -> Sequence[R]:
    """`rows` without repeated keys; `key` and `version` index a row (a name or a position)."""
    if len(set(map(itemgetter(key), rows))) == len(rows):
        return rows
    # One statement may not touch a row twice (PostgreSQL refuses): keep the newest, the
    # first of equal versions.
    newest: dict[Any, R] = {}
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

    Set-based, no per-row round trips: on PostgreSQL one query finds the keys the table
    holds, the other rows are COPY'd straight in and the held ones COPY'd into a temporary
    table and merged with one INSERT ... SELECT ... ON CONFLICT; elsewhere one cached
    statement is executed for many rows. Returns the number of rows written; an older or
    equal version changes nothing, so batches may arrive twice or out of order and the end
    state is the same. Every row has the columns of the first.
    """
    if not rows:
        return 0
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return await _upsert_by_statement(session, table, rows, key, version)
    columns = tuple(rows[0])
    # Key and version are among the columns: each row is a tuple, never a lone value.
    values: list[Row] = list(map(itemgetter(*columns), rows))
    return await _upsert_by_copy(session, connection, table, columns, values, key, version)


async def versioned_upsert_records(
    *,
    session: AsyncSession,
    table: Table,
    records: Sequence[Any],
    columns: Sequence[str],
    key: str = "id",
    version: str = "version",
) -> int:
    """`versioned_upsert` of objects that carry `columns` as attributes (validated records):
    their values are read in one C call per record, no dict is built for them."""
    if not records:
        return 0
    connection = await session.connection()
    pick = attrgetter(*columns)
    if connection.dialect.name != "postgresql":
        rows = [dict(zip(columns, pick(record), strict=True)) for record in records]
        return await _upsert_by_statement(session, table, rows, key, version)
    values: list[Row] = list(map(pick, records))
    return await _upsert_by_copy(session, connection, table, tuple(columns), values, key, version)


async def _upsert_by_statement(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    key: str,
    version: str,
) -> int:
    rows = _newest_per_key(rows, key, version)
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
    connection: AsyncConnection,
    table: Table,
    columns: tuple[str, ...],
    values: list[Row],
    key: str,
    version: str,
) -> int:
    key_at = columns.index(key)
    values = list(_newest_per_key(values, key_at, columns.index(version)))
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    # Binary COPY takes driver values: asyncpg encodes UUIDs, booleans and aware datetimes
    # itself, JSON columns need their text (and are mostly empty: only those rows change).
    for index, name in enumerate(columns):
        if isinstance(table.c[name].type, JSON):
            processor = table.c[name].type.bind_processor(connection.dialect)
            if processor is not None:
                _encode_column(values, index, processor)
    key_type = table.c[key].type.compile(dialect=connection.dialect)
    present = await raw.fetchval(
        f"SELECT array_agg(k.at) FROM unnest($1::{key_type}[]) WITH ORDINALITY AS k(key, at) "
        f'JOIN "{table.name}" AS t ON t."{key}" = k.key',
        [row[key_at] for row in values],
    )
    held = [values[at - 1] for at in present] if present else []
    new = values
    if held:
        positions = set(present)
        new = [row for at, row in enumerate(values, 1) if at not in positions]
    written = 0
    if new:
        # Rows the table lacks go straight in, as a plain COPY would (the merge costs the
        # server twice that). A savepoint keeps a row written meanwhile by someone else, or
        # any row the table refuses, from failing the transaction: those go by the merge,
        # which settles the version or raises the error the caller handles.
        try:
            async with raw.transaction():
                await raw.copy_records_to_table(table.name, records=new, columns=columns)
            written += len(new)
        except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError):
            held += new
    if held:
        written += await _merge(session, connection, raw, table, columns, held, key, version)
    return written


async def _merge(
    session: AsyncSession,
    connection: AsyncConnection,
    raw: Any,
    table: Table,
    columns: tuple[str, ...],
    values: list[Row],
    key: str,
    version: str,
) -> int:
    staging = f"_stage_{table.name}"
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
    await raw.copy_records_to_table(staging, records=values, columns=columns)
    quoted = ", ".join(f'"{name}"' for name in columns)
    updates = ", ".join(f'"{name}" = excluded."{name}"' for name in columns if name != key)
    # The command's count is the rows inserted or updated: those the version check skips
    # are not in it, so no RETURNING is needed to count them.
    result = await connection.execute(
        text(
            f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} FROM "{staging}" '
            f'ON CONFLICT ("{key}") DO UPDATE SET {updates} '
            f'WHERE "{table.name}"."{version}" < excluded."{version}"'
        )
    )
    await connection.execute(text(f'TRUNCATE "{staging}"'))
    return int(result.rowcount)


def _encode_column(values: list[Row], index: int, processor: Any) -> None:
    for position, row in enumerate(values):
        if row[index] is not None:
            values[position] = (*row[:index], processor(row[index]), *row[index + 1 :])
