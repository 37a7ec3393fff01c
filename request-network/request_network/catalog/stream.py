"""The `catalog` stream, replica side: the only way types, profiles and grants get written here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import after_commit
from request_network.catalog.models import Grant, Profile, RequestType
from shared.records import CatalogStreamRecord
from shared.streams import CATALOG_STREAM, ApplyOutcome, InboundStream
from shared.upsert import versioned_upsert

_TABLES: dict[str, Table] = {
    "request_type": RequestType.__table__,  # type: ignore[dict-item]
    "profile": Profile.__table__,  # type: ignore[dict-item]
    "grant": Grant.__table__,  # type: ignore[dict-item]
}


async def apply_catalog_records(
    session: AsyncSession, records: Sequence[CatalogStreamRecord]
) -> ApplyOutcome:
    """Versioned upsert per table; a deleted type or revoked grant takes effect here."""
    rows: dict[str, list[dict[str, Any]]] = {kind: [] for kind in _TABLES}
    for record in records:
        # Catalog records are few and nest models (limits): a dump, not the raw __dict__.
        row = record.root.model_dump()
        rows[row.pop("kind")].append(row)
    applied = 0
    for kind, table in _TABLES.items():
        applied += await versioned_upsert(session=session, table=table, rows=rows[kind])
    return ApplyOutcome(applied=applied)


def catalog_inbound(on_change: Callable[[], Awaitable[None]]) -> InboundStream:
    """The `catalog` stream that also awaits `on_change` once an import that changed the
    catalog committed (every process drops the catalog rows it kept)."""

    async def apply(session: AsyncSession, records: Sequence[CatalogStreamRecord]) -> ApplyOutcome:
        outcome = await apply_catalog_records(session, records)
        if outcome.applied:
            after_commit(session, on_change)
        return outcome

    return InboundStream(CATALOG_STREAM, CatalogStreamRecord, apply)
