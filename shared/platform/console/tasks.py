"""The tasks page, for either network: each job's schedule and last runs, the queue, the
workers; over `tasks_overview`, the service of `GET /admin/tasks`, with the same admin check.

No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

from typing import Annotated, Any

from fastapi import Depends
from fastapi import Request as HttpRequest
from fastapi.responses import Response

from core.deps import RuntimeDep
from core.job_status import tasks_overview
from shared.platform.console.site import Console
from shared.principals import Role
from shared.scopes import Scope


def add_task_pages(console: Console) -> None:
    User = Annotated[Any, Depends(console.identity.user)]

    @console.page("/tasks", role=Role.ADMIN, scope=Scope.ADMIN, nav="Tasks")
    async def tasks_page(request: HttpRequest, user: User, runtime: RuntimeDep) -> Response:
        overview = await tasks_overview(
            registry=runtime.registry, cache=runtime.cache, runner=runtime.jobs, redis=runtime.redis
        )
        return console.render(request, "tasks.html", user=user, overview=overview)
