"""Worker heartbeats: each job process records that it is alive; monitoring reads them."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, utcnow

if TYPE_CHECKING:
    from core.jobs import JobRegistry
    from core.runtime import Runtime

HEARTBEAT_SECONDS = 10.0
"""Often enough that a started worker and beat show alive within seconds (validate_setup)."""


class WorkerHeartbeatMixin:
    """Columns of a network's `worker_heartbeat` table."""

    worker: Mapped[str] = mapped_column(String(200), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


def worker_name(role: str) -> str:
    return f"{role}@{socket.gethostname()}:{os.getpid()}"


async def record_heartbeat(
    *, session: AsyncSession, model: type[WorkerHeartbeatMixin], worker: str
) -> datetime:
    """Upsert this worker's row; one statement, safe to repeat."""
    now = utcnow()
    values = {
        "worker": worker,
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "last_seen_at": now,
    }
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(model).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["worker"],
        set_={"last_seen_at": now, "hostname": values["hostname"], "pid": values["pid"]},
    )
    await session.execute(statement)
    return now


async def latest_heartbeats(
    *, session: AsyncSession, model: type[WorkerHeartbeatMixin]
) -> list[WorkerHeartbeatMixin]:
    result = await session.execute(select(model).order_by(model.last_seen_at.desc()))
    return list(result.scalars())


def register_heartbeat_job(registry: JobRegistry, model: type[WorkerHeartbeatMixin]) -> None:
    """The network's `heartbeat` job: each job process records itself in `model`'s table."""

    @registry.job("heartbeat", every=HEARTBEAT_SECONDS)
    async def heartbeat(runtime: Runtime[Any]) -> None:
        async with runtime.unit_of_work() as uow:
            await record_heartbeat(session=uow.session, model=model, worker=worker_name("jobs"))
