"""The request network's ledger tables."""

from __future__ import annotations

from request_network.db import Base
from shared.exchange.context import Ledger
from shared.ledger import ChangeLogMixin, InboundGapMixin, InboxBatchMixin, OutboxBatchMixin


class ChangeLog(ChangeLogMixin, Base):
    __tablename__ = "change_log"


class OutboxBatch(OutboxBatchMixin, Base):
    __tablename__ = "outbox_batch"


class InboxBatch(InboxBatchMixin, Base):
    __tablename__ = "inbox_batch"


class InboundGap(InboundGapMixin, Base):
    __tablename__ = "inbound_gap"


LEDGER = Ledger(ChangeLog, OutboxBatch, InboxBatch, InboundGap)
