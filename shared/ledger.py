"""Ledger tables every network has, declared once as mixins (the networks add `Base`).

- `change_log`: the outbox proper. A change to an exported record adds a row in the same
  transaction; export picks the rows no batch has taken yet, so a commit that lands late is
  never skipped (a timestamp watermark would skip it).
- `outbox_batch`: every batch this side wrote: sequence, checksum, kept copy, acknowledgement.
- `inbox_batch`: every batch this side applied; its unique key makes a duplicate harmless.
- `inbound_gap`: sequences of the peer's streams not received yet, reported as `Missing`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from core.db import UTCDateTime, utcnow


class ChangeLogMixin:
    if TYPE_CHECKING:  # the mapped subclass accepts columns as keywords

        def __init__(self, **kwargs: Any) -> None: ...

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    stream: Mapped[str] = mapped_column(String(32), index=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)


class OutboxBatchMixin:
    if TYPE_CHECKING:  # the mapped subclass accepts columns as keywords

        def __init__(self, **kwargs: Any) -> None: ...

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint, ...]:
        return (UniqueConstraint("stream", "sequence"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    stream: Mapped[str] = mapped_column(String(32))
    sequence: Mapped[int] = mapped_column(BigInteger)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    record_count: Mapped[int] = mapped_column(Integer)
    byte_count: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resent_count: Mapped[int] = mapped_column(Integer, default=0)
    last_resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    copy_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InboxBatchMixin:
    if TYPE_CHECKING:  # the mapped subclass accepts columns as keywords

        def __init__(self, **kwargs: Any) -> None: ...

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint, ...]:
        return (UniqueConstraint("source", "stream", "sequence"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    stream: Mapped[str] = mapped_column(String(32))
    sequence: Mapped[int] = mapped_column(BigInteger)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    record_count: Mapped[int] = mapped_column(Integer)
    applied_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """When the sender wrote it (Created-At), for lag."""
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InboundGapMixin:
    if TYPE_CHECKING:  # the mapped subclass accepts columns as keywords

        def __init__(self, **kwargs: Any) -> None: ...

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint, ...]:
        return (UniqueConstraint("source", "stream", "sequence"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    source: Mapped[str] = mapped_column(String(32))
    stream: Mapped[str] = mapped_column(String(32))
    sequence: Mapped[int] = mapped_column(BigInteger)
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    declared_lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    declared_lost_by: Mapped[str | None] = mapped_column(String(64))
