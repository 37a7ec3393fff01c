"""Operational tables of the request network."""

from __future__ import annotations

from core.heartbeat import WorkerHeartbeatMixin
from request_network.db import Base


class WorkerHeartbeat(WorkerHeartbeatMixin, Base):
    __tablename__ = "worker_heartbeat"
