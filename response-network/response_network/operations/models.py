"""Operational tables of the response network."""

from __future__ import annotations

from core.heartbeat import WorkerHeartbeatMixin
from response_network.db import Base


class WorkerHeartbeat(WorkerHeartbeatMixin, Base):
    __tablename__ = "worker_heartbeat"
