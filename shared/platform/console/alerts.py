"""The alerts page, for either network: alerts newest first, filtered by state and rule, in
keyset pages; over `list_alerts`, the service of `GET /admin/alerts`, with the same admin
check. The API offers no action on an alert (rules open and resolve them), so neither does
the page.

No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

from typing import Annotated, Any

from fastapi import Depends
from fastapi import Request as HttpRequest
from fastapi.responses import Response

from core.deps import UnitOfWorkDep
from shared.platform.alerts import service
from shared.platform.alerts.models import AlertMixin, AlertState
from shared.platform.alerts.rules import Rule
from shared.platform.console.forms import Blank
from shared.platform.console.paging import PagingDep
from shared.platform.console.site import Console
from shared.principals import Role
from shared.scopes import Scope


def add_alert_pages(console: Console, model: type[AlertMixin]) -> None:
    """`/console/alerts` over the network's alert table `model`."""
    User = Annotated[Any, Depends(console.identity.user)]

    @console.page("/alerts", role=Role.ADMIN, scope=Scope.ADMIN, nav="Alerts")
    async def alerts_page(
        request: HttpRequest,
        user: User,
        uow: UnitOfWorkDep,
        paging: PagingDep,
        state: Annotated[AlertState | None, Blank] = None,
        rule: Annotated[Rule | None, Blank] = None,
    ) -> Response:
        alerts, next_cursor = await service.list_alerts(
            session=uow.session,
            model=model,
            state=state,
            rule=rule,
            cursor=paging.cursor,
            limit=paging.limit,
        )
        return console.render(
            request,
            "alerts.html",
            user=user,
            alerts=alerts,
            state=state,
            rule=rule,
            states=AlertState,
            rules=Rule,
            pages=paging.links("/alerts", next_cursor, state=state, rule=rule),
        )
