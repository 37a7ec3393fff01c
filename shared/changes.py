"""Change tracking: every change to an exported model bumps its version and logs the change.

Done in the session's `before_flush`, so no service can forget it: whatever writes a user or
an API key through the ORM also writes the `change_log` row the exporter reads, in the same
transaction. A model is tracked by declaring `__tracked__ = Tracked(...)` in its class body:
no registry to fill, so a process that loaded the model (a CLI, a worker, a script) tracks
it, whatever else it imported. Importing this module (which declaring does) installs the hook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
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
        session.add(
            tracked.change_log(
                stream=tracked.stream,
                record_type=tracked.record_type,
                record_id=instance.id,
                changed_at=now,
            )
        )
