"""Change tracking: every change to an exported model bumps its version and logs the change.

Done in the session's `before_flush`, so no service can forget it: whatever writes a user or
an API key through the ORM also writes the `change_log` row the exporter reads, in the same
transaction. A model is tracked by declaring `__tracked__ = Tracked(...)` in its class body:
no registry to fill, so a process that loaded the model (a CLI, a worker, a script) tracks
it, whatever else it imported. Importing this module (which declaring does) installs the hook.

A hot path that only inserts new rows may skip the ORM's flush with `insert_new`, which logs
the changes the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, bindparam, event, insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.db import utcnow


@dataclass(frozen=True)
class Tracked:
    """Rows of the model that declares it travel on `stream` as `record_type` records."""

    stream: str
    record_type: str
    change_log: type[Any]
    """The network's `change_log` table (a `shared.ledger.ChangeLogMixin` model)."""
    local_only: frozenset[str] = frozenset()
    """Bookkeeping columns that do not travel (last login, last use): no version bump."""


def tracking_of(model: type[Any]) -> Tracked | None:
    """How `model` is tracked, or None if its changes do not travel."""
    tracked = getattr(model, "__tracked__", None)
    return tracked if isinstance(tracked, Tracked) else None


def _changed_attributes(instance: Any) -> set[str]:
    state = inspect(instance)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


@event.listens_for(Session, "before_flush")
def _log_changes(session: Session, _context: object, _instances: object) -> None:
    now = utcnow()
    entries: list[tuple[Tracked, Any]] = []
    for instance in list(session.new) + list(session.dirty):
        tracked = tracking_of(type(instance))
        if tracked is None:
            continue
        if instance in session.dirty:
            changed = _changed_attributes(instance) - tracked.local_only - {"updated_at"}
            if not changed:
                continue
            if "version" not in changed:
                instance.version = (instance.version or 0) + 1
        elif getattr(instance, "version", None) is None:
            instance.version = 1
        entries.append((tracked, instance))
    for tracked, instance in entries:
        if instance.id is None:
            # Defaults run at flush; mint the id now so the log row can name it.
            column_default = type(instance).__table__.c.id.default
            instance.id = column_default.arg(None) if column_default is not None else None
        session.add(tracked.change_log(**_change_entry(tracked, instance, now)))


def _change_entry(tracked: Tracked, instance: Any, now: datetime) -> dict[str, Any]:
    return {
        "stream": tracked.stream,
        "record_type": tracked.record_type,
        "record_id": instance.id,
        "changed_at": now,
    }


async def insert_new(session: AsyncSession, instances: Sequence[Any]) -> None:
    """Insert new rows in one round trip on PostgreSQL, change log included, in order.

    What a flush of `session.add_all(instances)` writes (a tracked row gets `version` 1 and
    its `change_log` row), as one statement of `INSERT`s in CTEs instead of one per table: a
    flush costs a round trip and much Python per table. The instances stay out of the session
    (read them, never change them there; a value the database makes, such as a serial id, is
    not read back); a tracked one must carry its id, and parents come before their children.
    SQLite takes no `INSERT` in a CTE: there, one statement per row, as a flush would do.
    """
    now = utcnow()
    rows: list[tuple[Table, dict[str, Any]]] = []
    for instance in instances:
        tracked = tracking_of(type(instance))
        if tracked is not None and getattr(instance, "version", None) is None:
            instance.version = 1
        state = inspect(instance)
        values = {
            attr.columns[0].key: state.dict[attr.key]
            for attr in state.mapper.column_attrs
            if attr.key in state.dict
        }
        rows.append((state.mapper.local_table, values))
        if tracked is not None:
            log_table = inspect(tracked.change_log).local_table
            rows.append((log_table, _change_entry(tracked, instance, now)))
    if session.get_bind().dialect.name != "postgresql":
        for table, values in rows:
            await session.execute(_inserts(((table, tuple(values)),)), _params([values]))
        return
    shape = tuple((table, tuple(values)) for table, values in rows)
    await session.execute(_inserts(shape), _params([values for _table, values in rows]))


_INSERTS: dict[tuple[tuple[Table, tuple[str, ...]], ...], Insert] = {}
"""Statements by the tables and columns they insert: built and compiled once, not per call."""


def _inserts(shape: tuple[tuple[Table, tuple[str, ...]], ...]) -> Insert:
    """One INSERT per row, the first ones in CTEs; row `n`'s values are bound as `r{n}_key`.

    The rows see each other only at the end of the statement: a foreign key is checked then,
    so a row may refer to a parent in an earlier CTE."""
    statement = _INSERTS.get(shape)
    if statement is None:
        *first, last = (
            insert(table).values(
                {key: bindparam(f"r{number}_{key}", type_=table.c[key].type) for key in keys}
            )
            for number, (table, keys) in enumerate(shape)
        )
        for number, earlier in enumerate(first):
            last = last.add_cte(earlier.cte(f"insert_{number}"))
        statement = _INSERTS[shape] = last
    return statement


def _params(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        f"r{number}_{key}": value for number, row in enumerate(rows) for key, value in row.items()
    }
