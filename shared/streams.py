"""What crosses the gap: each network declares the streams it exports and imports.

A stream name maps to its record schema, how the exporter loads records for changed ids, and
how the importer applies a chunk of validated records. Domain packages plug their streams in;
the transfer flows know nothing of users or requests.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.changes import tracking_of
from shared.transfer.structs import RecordDecoder, record_decoder

CONTROL_STREAM = "control"
"""Carries no records: heartbeats that keep acknowledgements flowing when nothing else does."""
USERS_STREAM = "users"
CATALOG_STREAM = "catalog"
REQUESTS_STREAM = "requests"
RESPONSES_STREAM = "responses"
"""The streams' names: both networks name them, the models of one declare their tracking
with them (`shared.changes.Tracked`)."""

LoadRecords = Callable[[AsyncSession, Sequence[tuple[str, uuid.UUID]]], Awaitable[list[Any]]]
ApplyRecords = Callable[[AsyncSession, Sequence[Any]], Awaitable["ApplyOutcome"]]


@dataclass
class ApplyOutcome:
    applied: int = 0
    """Rows written (newer versions); older or equal versions are skipped silently."""
    unknown: list[str] = field(default_factory=list)
    """Ids referring to things this side does not know (yet); reported, not fatal."""

    def merge(self, other: ApplyOutcome) -> None:
        self.applied += other.applied
        self.unknown.extend(other.unknown)


IN_CHUNK = 1000
"""Ids per `IN (...)` list: far below every driver's bound-parameter limit."""

RecordLoader = tuple[str, type[Any], Callable[[Any], Any]]
"""(record type in the change log, ORM model, row -> record)."""


async def load_changed(
    session: AsyncSession,
    refs: Sequence[tuple[str, uuid.UUID]],
    loaders: Sequence[RecordLoader],
) -> list[Any]:
    """The current state of the changed rows as records, record type by record type in the
    order of `loaders` (so an owner can precede what it owns)."""
    records: list[Any] = []
    for record_type, model, to_record in loaders:
        ids = [record_id for kind, record_id in refs if kind == record_type]
        for start in range(0, len(ids), IN_CHUNK):
            rows = await session.scalars(
                select(model).where(model.id.in_(ids[start : start + IN_CHUNK]))
            )
            records.extend(to_record(row) for row in rows)
    return records


@dataclass(frozen=True)
class OutboundStream:
    name: str
    load: LoadRecords
    """Given (record_type, id) pairs that changed, return the records to send (any order)."""
    models: tuple[type[Any], ...] = ()
    """The models whose changes it sends: each declares `__tracked__` on this stream."""


@dataclass(frozen=True)
class InboundStream:
    name: str
    schema: type[BaseModel]
    apply: ApplyRecords

    @property
    def decoder(self) -> RecordDecoder:
        """How the importer reads the records: msgspec structs generated from `schema`, with
        the attributes the apply code reads of the pydantic records (`.root`, `kind`)."""
        return record_decoder(self.schema)


async def _no_records(_session: AsyncSession, _refs: Sequence[tuple[str, uuid.UUID]]) -> list[Any]:
    return []


class _ControlRecord(BaseModel):
    model_config = {"extra": "forbid"}


async def _apply_nothing(_session: AsyncSession, _records: Sequence[Any]) -> ApplyOutcome:
    return ApplyOutcome()


CONTROL_OUT = OutboundStream(CONTROL_STREAM, _no_records)
CONTROL_IN = InboundStream(CONTROL_STREAM, _ControlRecord, _apply_nothing)


@dataclass
class StreamRegistry:
    """The streams of one network: those it exports and those it imports."""

    outbound: dict[str, OutboundStream] = field(default_factory=dict)
    inbound: dict[str, InboundStream] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.outbound.setdefault(CONTROL_STREAM, CONTROL_OUT)
        self.inbound.setdefault(CONTROL_STREAM, CONTROL_IN)
        for inbound in self.inbound.values():
            inbound.decoder  # noqa: B018 - a schema the structs cannot express fails at startup
        for stream in self.outbound.values():
            for model in stream.models:
                tracked = tracking_of(model)
                if tracked is None or tracked.stream != stream.name:
                    # Its changes would write no `change_log` row this stream reads.
                    raise ValueError(f"{model.__name__} is not tracked on {stream.name!r}")


def outbound_of(
    name: str, *loads: LoadRecords, models: tuple[type[Any], ...] = ()
) -> OutboundStream:
    """One stream exported from several loaders, each taking the record types it knows from
    the changed (record type, id) pairs and ignoring the others."""

    async def load(session: AsyncSession, refs: Sequence[tuple[str, uuid.UUID]]) -> list[Any]:
        records: list[Any] = []
        for one in loads:
            records.extend(await one(session, refs))
        return records

    return OutboundStream(name, load, models=models)


def inbound_by_kind(
    name: str, schema: type[BaseModel], appliers: dict[str, ApplyRecords]
) -> InboundStream:
    """One stream whose records (root models with a `kind`) are applied by kind, each kind's
    records in their order in the chunk."""

    async def apply(session: AsyncSession, records: Sequence[Any]) -> ApplyOutcome:
        by_kind: dict[str, list[Any]] = {kind: [] for kind in appliers}
        for record in records:
            by_kind[record.root.kind].append(record)
        outcome = ApplyOutcome()
        for kind, chunk in by_kind.items():
            if chunk:
                outcome.merge(await appliers[kind](session, chunk))
        return outcome

    return InboundStream(name, schema, apply)
