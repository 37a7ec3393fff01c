"""`GET /admin/requests` on either network: requests per status and how long the oldest one
not answered yet has waited, over the network's own `Request` model.

No `from __future__ import annotations`: FastAPI reads the annotations of the route built
below, and postponed ones could not see the closure's `admin`.
"""

import enum
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.db import utcnow
from core.deps import UnitOfWorkDep

StatusT = TypeVar("StatusT", bound=enum.Enum)


@dataclass(frozen=True)
class Monitor(Generic[StatusT]):
    counts: dict[StatusT, int]
    oldest_unanswered_age_seconds: float | None


async def monitor_requests(
    *,
    session: AsyncSession,
    status: InstrumentedAttribute[Any],
    statuses: type[StatusT],
    since: InstrumentedAttribute[datetime],
    unanswered: Collection[StatusT],
) -> Monitor[StatusT]:
    """Rows per `status` (every one of `statuses`, zero included) and the age of the oldest
    `since` among the rows whose status is one of `unanswered`."""
    rows = await session.execute(select(status, func.count()).group_by(status))
    counts = dict.fromkeys(statuses, 0)
    for value, count in rows.all():
        counts[statuses(value)] = int(count)
    oldest = await session.scalar(select(func.min(since)).where(status.in_(unanswered)))
    age = None if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())
    return Monitor(counts, age)


def add_monitor_route(
    router: APIRouter,
    *,
    admin: Callable[..., Any],
    measure: Callable[..., Awaitable[Monitor[Any]]],
    schema: type[BaseModel],
) -> None:
    """The route on `router`: `measure(session=...)` counts, the network's `schema` (its
    status enum) answers."""

    @router.get(
        "/admin/requests",
        name="monitor",
        summary="Requests per status, oldest unanswered age",
        response_model=schema,
    )
    async def monitor_requests(_admin: Annotated[Any, Depends(admin)], uow: UnitOfWorkDep) -> Any:
        figures = await measure(session=uow.session)
        return schema(
            counts=figures.counts,
            total=sum(figures.counts.values()),
            oldest_unanswered_age_seconds=figures.oldest_unanswered_age_seconds,
        )
