"""Requests arriving on the master, operators to answer them and handlers to run.

Requests arrive through the `requests` stream's own apply function (what an import runs for
each chunk of a batch); the batch files themselves are tested in `test_import.py`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.metadata import EntryPoint
from typing import Any, ClassVar

import pytest
from sqlalchemy import select, update

from core.db import utcnow
from core.errors import Invalid
from core.runtime import Runtime
from core.security import TokenIssuer
from response_network.audit.models import AuditEvent
from response_network.catalog.models import Profile, RequestType
from response_network.handlers import (
    ENTRY_POINT_GROUP,
    AwaitsOperator,
    Handler,
    HandlerAnswer,
    HandlerLimits,
    HandlerRegistry,
    build_handler_registry,
)
from response_network.requests.flow import AnsweringRun, answer_due_requests
from response_network.requests.models import Request
from response_network.requests.stream import apply_request_records
from response_network.responses.models import Response
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.transfer.models import ChangeLog
from response_network.users.models import Role, User
from shared.records import RequestRecord, RequestsStreamRecord
from tests.response_network.conftest import UserFactory
from tests.response_network.identity import bearer
from tests.shared.exchange.conftest import networks  # noqa: F401 - two runtimes, one transfer dir

Headers = dict[str, str]

TEXT = {
    "type": "object",
    "properties": {"q": {"type": "string", "maxLength": 100}},
    "additionalProperties": True,
}


class CountedHandler(Handler):
    """A third-party handler registered through a real entry point; runs are counted."""

    name = "test"
    runs: ClassVar[list[uuid.UUID | str]] = []

    def validate_settings(self, settings: Mapping[str, Any]) -> None:
        pass

    async def run(
        self, *, parameters: Mapping[str, Any], settings: Mapping[str, Any], limits: HandlerLimits
    ) -> HandlerAnswer:
        type(self).runs.append(str(parameters.get("q")))
        return await self.answer(parameters, limits)

    async def answer(self, parameters: Mapping[str, Any], limits: HandlerLimits) -> HandlerAnswer:
        raise NotImplementedError


class CountHandler(CountedHandler):
    """Answers after a pause, long enough for two workers to overlap."""

    name = "count"

    async def answer(self, parameters: Mapping[str, Any], limits: HandlerLimits) -> HandlerAnswer:
        await asyncio.sleep(0.05)
        return HandlerAnswer(body={"q": parameters.get("q"), "max_results": limits.max_results})


class CrashHandler(CountedHandler):
    """Fails like a buggy plug-in: an exception whose text must never reach a user."""

    name = "crash"

    async def answer(self, parameters: Mapping[str, Any], limits: HandlerLimits) -> HandlerAnswer:
        raise RuntimeError("SELECT secret FROM internal_table -- password=hunter2")


class FlakyHandler(CountedHandler):
    """Fails its first two runs of each question, then answers in plain text."""

    name = "flaky"

    async def answer(self, parameters: Mapping[str, Any], limits: HandlerLimits) -> HandlerAnswer:
        if self.runs.count(str(parameters.get("q"))) <= 2:
            raise ConnectionError("upstream down")
        return HandlerAnswer(body=f"third time: {parameters.get('q')}", content_type="text/plain")


class SlowHandler(CountedHandler):
    name = "slow"

    async def answer(self, parameters: Mapping[str, Any], limits: HandlerLimits) -> HandlerAnswer:
        await asyncio.sleep(5)
        return HandlerAnswer(body=None)


class RefuseHandler(CountedHandler):
    """Refuses the parameters as a data source would: no retry helps."""

    name = "refuse"

    async def answer(self, parameters: Mapping[str, Any], limits: HandlerLimits) -> HandlerAnswer:
        raise Invalid("the data source refused the query: DataError", code="invalid.parameters")


class HandOverHandler(CountedHandler):
    """An automatic handler that decides a person must answer this one."""

    name = "handover"

    async def answer(self, parameters: Mapping[str, Any], limits: HandlerLimits) -> HandlerAnswer:
        raise AwaitsOperator()


PLUGINS = (
    "CountHandler",
    "CrashHandler",
    "FlakyHandler",
    "SlowHandler",
    "RefuseHandler",
    "HandOverHandler",
)


@pytest.fixture(autouse=True)
def handlers(
    response_runtime: ResponseRuntime, response_settings: ResponseSettings
) -> HandlerRegistry:
    """The built-ins plus the test handlers, as the runtime's one registry."""
    CountedHandler.runs = []
    registry = build_handler_registry(
        response_settings,
        plugins=[
            EntryPoint(name=name, value=f"{__name__}:{name}", group=ENTRY_POINT_GROUP)
            for name in PLUGINS
        ],
    )
    response_runtime.handlers = registry
    return registry


@pytest.fixture
async def types(response_runtime: ResponseRuntime, handlers: HandlerRegistry) -> list[str]:
    """One request type per handler, named after it (`echo`, `manual`, `crash` ...)."""
    names = ["echo", "manual", "count", "crash", "flaky", "slow", "refuse", "handover"]
    async with response_runtime.unit_of_work() as uow:
        uow.session.add_all(
            RequestType(
                name=name,
                title=name.title(),
                handler=name,
                handler_settings={},
                parameter_schema=TEXT,
                max_results=25,
            )
            for name in names
        )
    return names


@dataclass
class Master:
    """The response network as these tests drive it."""

    runtime: Runtime[Any]
    handlers: HandlerRegistry
    owner_id: uuid.UUID
    """An active user whose profile opens every type at every priority: the owner of the
    requests that arrive unless a test names another."""

    async def arrive(
        self,
        request_type: str = "echo",
        *,
        parameters: dict[str, Any] | None = None,
        priority: int = 5,
        owner_id: uuid.UUID | None = None,
        submitted_at: datetime | None = None,
        request_id: uuid.UUID | None = None,
        version: int = 1,
        cancel_requested_at: datetime | None = None,
    ) -> uuid.UUID:
        """A request arrives as an imported batch chunk would bring it."""
        record = RequestRecord(
            id=request_id or uuid.uuid4(),
            owner_id=owner_id or self.owner_id,
            request_type=request_type,
            type_version=1,
            parameters=parameters if parameters is not None else {"q": "hello"},
            priority=priority,
            submitted_at=submitted_at or utcnow(),
            cancel_requested_at=cancel_requested_at,
            version=version,
        )
        async with self.runtime.unit_of_work() as uow:
            await apply_request_records(uow.session, [RequestsStreamRecord(record)])
        return record.id

    async def request(self, request_id: uuid.UUID) -> Request:
        async with self.runtime.unit_of_work() as uow:
            found = await uow.session.get(Request, request_id)
            assert found is not None
            return found

    async def response(self, request_id: uuid.UUID) -> Response:
        async with self.runtime.unit_of_work() as uow:
            found = await uow.session.get(Response, request_id)
            assert found is not None
            return found

    async def answer(self) -> AnsweringRun:
        """One run of the answering job."""
        return await answer_due_requests(runtime=self.runtime, handlers=self.handlers)

    async def later(self, request_id: uuid.UUID, **columns: datetime | None) -> None:
        """Let time pass for one request: move its deadlines to the past."""
        past = utcnow() - timedelta(seconds=1)
        async with self.runtime.unit_of_work() as uow:
            await uow.session.execute(
                update(Request)
                .where(Request.id == request_id)
                .values({name: past if value is None else value for name, value in columns.items()})
            )

    async def pending_changes(self) -> list[tuple[str, uuid.UUID]]:
        """The response changes waiting for the next `responses` batch."""
        async with self.runtime.unit_of_work() as uow:
            rows = await uow.session.execute(
                select(ChangeLog.record_type, ChangeLog.record_id)
                .where(ChangeLog.stream == "responses", ChangeLog.batch_id.is_(None))
                .order_by(ChangeLog.id)
            )
            return [(row.record_type, row.record_id) for row in rows]

    async def audit(self, action: str) -> list[AuditEvent]:
        async with self.runtime.unit_of_work() as uow:
            return list(
                (
                    await uow.session.scalars(
                        select(AuditEvent)
                        .where(AuditEvent.action == action)
                        .order_by(AuditEvent.occurred_at)
                    )
                ).all()
            )


@pytest.fixture
async def master(
    response_runtime: ResponseRuntime,
    handlers: HandlerRegistry,
    types: list[str],
    make_user: UserFactory,
) -> Master:
    async with response_runtime.unit_of_work() as uow:
        uow.session.add(Profile(name="default", allow_all=True, max_priority=9))
    owner = await make_user("requester")
    return Master(response_runtime, handlers, owner.id)


@pytest.fixture
async def operator(make_user: UserFactory) -> User:
    return await make_user("olga", role=Role.OPERATOR)


@pytest.fixture
async def other_operator(make_user: UserFactory) -> User:
    return await make_user("oskar", role=Role.OPERATOR)


HeadersFor = Callable[[User], Headers]


@pytest.fixture
def headers(tokens: TokenIssuer) -> HeadersFor:
    def for_user(user: User) -> Headers:
        return bearer(tokens.issue(str(user.id))[0])

    return for_user
