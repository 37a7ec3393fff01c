"""The transfer page, for either network: each stream's state, the batches sent and received
(newest first, in pages), the quarantine with a requeue button, the gaps with "declare lost";
over the services behind `/admin/transfer` (requeue and declare lost audited there), with the
same admin check.

No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Path, Query
from fastapi import Request as HttpRequest
from fastapi.responses import RedirectResponse, Response

from core.audit import Actor
from core.deps import RuntimeDep, UnitOfWorkDep
from core.errors import NotFound
from core.pagination import MAX_CURSOR_LENGTH
from shared.exchange import batches
from shared.exchange.acks import declare_gap_lost
from shared.exchange.context import TransferContext
from shared.exchange.status import transfer_status
from shared.platform.console.session import read_form
from shared.platform.console.site import PREFIX, Console
from shared.principals import Role
from shared.scopes import Scope

Cursor = Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH)]
Notice = Annotated[str | None, Query(max_length=300)]
PAGE = 25
GAPS = 200
"""Gaps listed each way: a jump of thousands of sequences is one story, not a page of rows."""


def add_transfer_pages(console: Console, context: Callable[[Any], TransferContext]) -> None:
    """`/console/transfer` and its two actions; `context` builds the network's transfer
    context from its runtime (as for `transfer_router`)."""
    page = console.page
    User = Annotated[Any, Depends(console.identity.user)]
    Who = Annotated[Actor, Depends(console.identity.actor)]

    @page("/transfer", role=Role.ADMIN, scope=Scope.ADMIN, nav="Transfer")
    async def transfer_page(
        request: HttpRequest,
        user: User,
        runtime: RuntimeDep,
        uow: UnitOfWorkDep,
        sent: Cursor = None,
        received: Cursor = None,
        requeued: Notice = None,
        lost: Notice = None,
    ) -> Response:
        ctx = context(runtime)
        status = await transfer_status(session=uow.session, ctx=ctx)
        out, next_out = await batches.list_batches(
            session=uow.session, ctx=ctx, direction="out", cursor=sent or None, limit=PAGE
        )
        into, next_in = await batches.list_batches(
            session=uow.session, ctx=ctx, direction="in", cursor=received or None, limit=PAGE
        )
        open_gaps, lost_gaps = await batches.list_gaps(session=uow.session, ctx=ctx, limit=GAPS)
        message = None
        if requeued:
            message = f"Requeued {requeued}: the next import tries it again."
        elif lost:
            message = f"Declared {lost} lost: it is no longer reported as missing."

        def page_link(**cursors: str | None) -> str:
            kept = {"sent": sent, "received": received} | cursors
            return f"{PREFIX}/transfer?" + urlencode({k: v for k, v in kept.items() if v})

        return console.render(
            request,
            "transfer.html",
            user=user,
            status=status,
            sent=out,
            received=into,
            next_sent=page_link(sent=next_out) if next_out else None,
            next_received=page_link(received=next_in) if next_in else None,
            open_gaps=open_gaps,
            lost_gaps=lost_gaps,
            gap_limit=GAPS,
            message=message,
        )

    @page(
        "/transfer/quarantine/{name}/requeue",
        role=Role.ADMIN,
        scope=Scope.ADMIN,
        methods=["POST"],
    )
    async def requeue(
        request: HttpRequest,
        name: Annotated[str, Path(max_length=255)],
        runtime: RuntimeDep,
        uow: UnitOfWorkDep,
        who: Who,
    ) -> Response:
        await read_form(request)
        await batches.requeue_batch(session=uow.session, ctx=context(runtime), name=name, actor=who)
        query = urlencode({"requeued": name})
        return RedirectResponse(f"{PREFIX}/transfer?{query}", status_code=303)

    @page(
        "/transfer/gaps/{stream}/{sequence}/lost",
        role=Role.ADMIN,
        scope=Scope.ADMIN,
        methods=["POST"],
    )
    async def declare_lost(
        request: HttpRequest,
        stream: Annotated[str, Path(max_length=32)],
        sequence: Annotated[int, Path(ge=1)],
        runtime: RuntimeDep,
        uow: UnitOfWorkDep,
        who: Who,
    ) -> Response:
        await read_form(request)
        changed = await declare_gap_lost(
            session=uow.session, ctx=context(runtime), stream=stream, sequence=sequence, actor=who
        )
        if not changed:
            raise NotFound(f"no open gap {stream}/{sequence}", code="not_found.gap")
        query = urlencode({"lost": f"{stream}/{sequence}"})
        return RedirectResponse(f"{PREFIX}/transfer?{query}", status_code=303)
