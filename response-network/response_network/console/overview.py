"""The overview (admins): the transfer per stream and its traffic per hour as bar charts, the
requests by status and the oldest unanswered, open alerts, jobs and workers; each over the
service of its API route (`GET /admin/transfer`, `/admin/requests`, `/admin/alerts`,
`/admin/tasks`), with the same admin check. Reading only.

No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

from fastapi import Request as HttpRequest
from fastapi.responses import Response

from core.deps import UnitOfWorkDep
from core.job_status import tasks_overview
from response_network.alerts.models import TABLES as ALERT_TABLES
from response_network.console.deps import ConsoleUser
from response_network.deps import RuntimeDep
from response_network.requests import service as requests_service
from response_network.transfer.service import transfer_context
from response_network.users.models import Role
from shared.exchange.batches import traffic_per_hour
from shared.exchange.status import transfer_status
from shared.platform.alerts import service as alerts_service
from shared.platform.alerts.models import AlertState
from shared.platform.console.charts import bar_chart
from shared.platform.console.site import Console
from shared.scopes import Scope

OPEN_ALERTS = 20


def add_overview_pages(console: Console) -> None:
    @console.page("/overview", role=Role.ADMIN, scope=Scope.ADMIN, nav="Overview")
    async def overview_page(
        request: HttpRequest, user: ConsoleUser, runtime: RuntimeDep, uow: UnitOfWorkDep
    ) -> Response:
        ctx = transfer_context(runtime)
        session = uow.session
        traffic = await traffic_per_hour(session=session, ctx=ctx)
        labels = [start.strftime("%H:00") for start in traffic.hours]
        alerts, more_alerts = await alerts_service.list_alerts(
            session=session, model=ALERT_TABLES.alert, state=AlertState.OPEN, limit=OPEN_ALERTS
        )
        return console.render(
            request,
            "overview.html",
            user=user,
            transfer=await transfer_status(session=session, ctx=ctx),
            batches_chart=bar_chart(
                "Batches per hour, last 24 hours (UTC)",
                list(zip(labels, traffic.batches, strict=True)),
                every=3,
            ),
            records_chart=bar_chart(
                "Records per hour, last 24 hours (UTC)",
                list(zip(labels, traffic.records, strict=True)),
                every=3,
            ),
            requests=await requests_service.monitor_requests(session=session),
            alerts=alerts,
            more_alerts=more_alerts is not None,
            tasks=await tasks_overview(
                registry=runtime.registry,
                cache=runtime.cache,
                runner=runtime.jobs,
                redis=runtime.redis,
            ),
        )
