"""Change tracking: every change to an exported model bumps its version and logs the change.

Done in the session's `before_flush`, so no service can forget it: whatever writes a user or
an API key through the ORM also writes the `change_log` row the exporter reads, in the same
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from core.db import utcnow


@dataclass(frozen=True)
class Tracked:
    stream: str
    record_type: str
    local_only: frozenset[str] = frozenset()
    """Bookkeeping columns that do not travel (last login, last use): no version bump."""


_tracked: dict[type[Any], Tracked] = {}
_change_logs: dict[type[Any], type[Any]] = {}


def track(
    model: type[Any],
    *,
    stream: str,
    record_type: str,
    change_log: type[Any],
    local_only: frozenset[str] = frozenset(),
) -> None:
    """Declare that rows of `model` travel on `stream`; `change_log` is the network's table."""
    _tracked[model] = Tracked(stream, record_type, local_only)
    _change_logs[model] = change_log


def _changed_attributes(instance: Any) -> set[str]:
    state = inspect(instance)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


@event.listens_for(Session, "before_flush")
def _log_changes(session: Session, _context: object, _instances: object) -> None:
    if not _tracked:
        return
    now = utcnow()
    entries: list[Any] = []
    for instance in list(session.new) + list(session.dirty):
        tracked = _tracked.get(type(instance))
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
        change_log = _change_logs[type(instance)]
        entries.append((change_log, tracked, instance))
    for change_log, tracked, instance in entries:
        if instance.id is None:
            # Defaults run at flush; mint the id now so the log row can name it.
            column_default = type(instance).__table__.c.id.default
            instance.id = column_default.arg(None) if column_default is not None else None
        session.add(
            change_log(
                stream=tracked.stream,
                record_type=tracked.record_type,
                record_id=instance.id,
                changed_at=now,
            )
        )
