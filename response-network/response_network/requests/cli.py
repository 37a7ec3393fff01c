"""`airlock-response requests ...`: an admin's retries at a terminal, via the services."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from core.db import UnitOfWork
from core.errors import AirlockError
from core.jobs import JobRunner
from core.process import fail
from response_network.requests import retry, service
from response_network.requests.schemas import RetryFilter
from response_network.users.cli import OpenRuntime, cli_actor, refuse_input

console = Console(stderr=True)
ResultT = TypeVar("ResultT")


def _run(
    open_runtime: OpenRuntime, work: Callable[[UnitOfWork, JobRunner], Awaitable[ResultT]]
) -> ResultT:
    """`work` in one transaction, with the jobs it enqueues after the commit (the export, an
    answering run; the schedule runs them anyway should this process end first)."""

    async def main() -> ResultT:
        async with open_runtime() as runtime, runtime.unit_of_work() as uow:
            return await work(uow, runtime.jobs)

    try:
        return asyncio.run(main())
    except AirlockError as exc:
        fail(f"{exc.detail} ({exc.code})", code=1)


def make_requests_cli(open_runtime: OpenRuntime) -> typer.Typer:
    requests = typer.Typer(help="Retry failed requests.")

    @requests.command("retry")
    def retry_one(request_id: uuid.UUID) -> None:
        """Retry one failed request: back to its handler, or to the operator queue."""

        async def work(uow: UnitOfWork, jobs: JobRunner) -> int:
            request = await service.get_request(session=uow.session, request_id=request_id)
            retried = await retry.retry_request(
                session=uow.session, jobs=jobs, request=request, actor=cli_actor()
            )
            return retried.retries

        retries = _run(open_runtime, work)
        console.print(f"request {request_id}: retried (retry {retries})")

    @requests.command("retry-failed")
    def retry_failed(
        request_type: Annotated[str | None, typer.Option("--type", help="Request type")] = None,
        reason: Annotated[
            str | None, typer.Option(help="A substring of the failure reason (any case)")
        ] = None,
        failed_from: Annotated[
            str | None, typer.Option(help="Failed at or after (ISO 8601 with zone)")
        ] = None,
        failed_to: Annotated[str | None, typer.Option(help="Failed before")] = None,
        received_from: Annotated[str | None, typer.Option(help="Received at or after")] = None,
        received_to: Annotated[str | None, typer.Option(help="Received before")] = None,
        limit: Annotated[int, typer.Option(help="At most this many")] = retry.MAX_RETRY_PER_CALL,
    ) -> None:
        """Retry every failed request matching all the given filters (oldest failure first)."""
        try:
            data = RetryFilter.model_validate(
                {
                    "request_type": request_type,
                    "reason": reason,
                    "failed_from": failed_from,
                    "failed_to": failed_to,
                    "received_from": received_from,
                    "received_to": received_to,
                    "limit": limit,
                }
            )
        except ValidationError as exc:
            refuse_input(exc)
        filters = retry.RetryFilters(**data.model_dump(exclude={"limit"}))

        async def work(uow: UnitOfWork, jobs: JobRunner) -> retry.BulkRetry:
            return await retry.retry_failed_requests(
                session=uow.session, jobs=jobs, filters=filters, actor=cli_actor(), limit=data.limit
            )

        outcome = _run(open_runtime, work)
        more = " (more matched: run it again)" if outcome.more else ""
        console.print(
            f"retried {outcome.retried}, skipped {outcome.skipped} (type deleted or inactive){more}"
        )

    return requests
