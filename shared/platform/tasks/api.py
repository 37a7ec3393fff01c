"""`GET /admin/tasks`, the same on both networks: what the jobs did last and who runs them.

Reading only, so not audited (like `GET /admin/audit` and `GET /admin/transfer`).
"""

# No `from __future__ import annotations`: FastAPI must see the closure-built dependencies.

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from core.deps import RuntimeDep
from core.job_status import tasks_overview
from core.openapi import api_router


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


_RUN: dict[str, Any] = {
    "started_at": "2026-12-04T09:12:00Z",
    "seconds": 0.04,
    "outcome": "ok",
    "error": None,
}
_JOB: dict[str, Any] = {
    "name": "response.transfer_export",
    "schedule": "every 10s",
    "every_seconds": 10.0,
    "last_run": _RUN,
    "last_failure": None,
}
_ACTIVE: dict[str, Any] = {
    "job": "response.answer_requests",
    "task_id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
    "started_at": "2026-12-04T09:12:03Z",
}
_WORKER: dict[str, Any] = {
    "name": "celery@airlock-worker-1",
    "concurrency": 2,
    "active": [_ACTIVE],
    "processed": 1804,
}


class JobRunRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_RUN]})

    started_at: datetime
    seconds: float
    outcome: str
    """`ok`, `failed`, or `given_up` (a Celery task that killed its worker every time)."""
    error: str | None
    """One line, at most 300 characters."""


class JobRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_JOB]})

    name: str
    schedule: str
    """`every 10s`, or `on demand` for jobs that run only when enqueued."""
    every_seconds: float | None
    last_run: JobRunRead | None
    last_failure: JobRunRead | None
    """Kept when later runs succeed: the latest run that did not."""


class ActiveTaskRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_ACTIVE]})

    job: str
    task_id: str
    started_at: datetime | None


class WorkerRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_WORKER]})

    name: str
    concurrency: int | None
    active: list[ActiveTaskRead]
    processed: int


class TasksRead(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "runner": "celery",
                    "queue": "airlock.response",
                    "queue_length": 0,
                    "jobs": [_JOB],
                    "workers": [_WORKER],
                    "note": None,
                }
            ]
        }
    )

    runner: str
    """`in-process` (embedded: the API process runs the jobs) or `celery`."""
    queue: str | None
    queue_length: int | None
    jobs: list[JobRead]
    workers: list[WorkerRead]
    note: str | None
    """Why `workers` is empty, when it is (embedded mode, or no worker answered)."""


def tasks_router(admin: Callable[..., Any]) -> APIRouter:
    """The route for one network; `admin` requires the admin role and scope."""
    router = api_router(prefix="/admin/tasks", tags=["tasks"], dependencies=[Depends(admin)])

    @router.get(
        "",
        operation_id="tasks_overview",
        response_model=TasksRead,
        summary="Jobs, their last runs, queue, workers",
    )
    async def overview(runtime: RuntimeDep) -> Any:
        return await tasks_overview(
            registry=runtime.registry, cache=runtime.cache, runner=runtime.jobs, redis=runtime.redis
        )

    return router
