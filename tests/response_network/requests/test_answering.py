"""Automated answers: handlers answer, fail, retry with backoff, time out and lose workers."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core.audit import Actor
from core.db import utcnow
from response_network.catalog.models import Profile, RequestType
from response_network.catalog.service import delete_request_type
from response_network.handlers import HandlerRegistry
from response_network.requests import due
from response_network.requests.answering import Outcome, record_outcome
from response_network.requests.due import take_due_requests
from response_network.requests.flow import POLL_KEY, poll_due_requests
from response_network.requests.models import RequestStatus
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.users.models import User
from tests.response_network.conftest import UserFactory
from tests.response_network.requests.conftest import CountedHandler, Master

ADMIN = Actor(id=None, name="test-admin")


def seconds_until(moment: datetime | None) -> float:
    assert moment is not None
    return (moment - utcnow()).total_seconds()


async def test_an_echo_request_is_answered_by_its_handler(master: Master) -> None:
    request_id = await master.arrive("echo", parameters={"q": "hi", "n": [1, 2]})
    run = await master.answer()

    request, response = await master.request(request_id), await master.response(request_id)
    assert (run.taken, run.answered) == (1, 1)
    assert (request.status, request.attempts, request.claim_expires_at) == ("answered", 1, None)
    assert response.status == RequestStatus.ANSWERED
    assert (response.body, response.content_type) == ({"q": "hi", "n": [1, 2]}, "application/json")
    assert (response.answer_number, response.answered_by) == (1, "handler:echo")
    assert response.answered_at is not None
    # received (1), processing (2), answered (3): each one a change for the responses stream.
    assert response.version == 3
    assert await master.pending_changes() == [("response", request_id)] * 3
    assert (await master.answer()).taken == 0


async def test_a_failing_handler_is_retried_with_backoff_then_fails_readably(
    master: Master,
) -> None:
    request_id = await master.arrive("crash")

    await master.answer()
    first = await master.request(request_id)
    assert (first.status, first.attempts) == ("received", 1)
    assert first.status_reason == (
        "attempt 1 of 3 failed: an unexpected error in the handler (RuntimeError)"
    )
    assert 1.0 < seconds_until(first.next_attempt_at) <= 2.0
    assert (await master.response(request_id)).status == RequestStatus.RECEIVED

    assert (await master.answer()).taken == 0, "the backoff is honoured"
    await master.later(request_id, next_attempt_at=None)
    await master.answer()
    second = await master.request(request_id)
    assert second.attempts == 2
    assert 3.0 < seconds_until(second.next_attempt_at) <= 4.0

    await master.later(request_id, next_attempt_at=None)
    run = await master.answer()
    failed, response = await master.request(request_id), await master.response(request_id)
    assert run.failed == 1
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert response.status == RequestStatus.FAILED
    assert response.reason == (
        "the crash handler could not answer after 3 attempts: "
        "an unexpected error in the handler (RuntimeError)"
    )
    assert (response.answered_by, response.answer_number, response.body) == (
        "handler:crash",
        0,
        None,
    )
    await master.later(request_id, next_attempt_at=None)
    assert (await master.answer()).taken == 0
    assert len(CountedHandler.runs) == 3


async def test_a_flaky_handler_answers_on_its_third_attempt(master: Master) -> None:
    request_id = await master.arrive("flaky", parameters={"q": "weather"})
    for _ in range(3):
        await master.later(request_id, next_attempt_at=None)
        await master.answer()

    response = await master.response(request_id)
    assert (response.status, response.body, response.content_type) == (
        "answered",
        "third time: weather",
        "text/plain",
    )
    assert (await master.request(request_id)).status_reason is None


async def test_a_handler_that_times_out_fails_with_the_limit_named(
    master: Master, response_settings: ResponseSettings
) -> None:
    response_settings.handler_timeout_seconds = 0.05
    response_settings.answer_max_attempts = 1
    request_id = await master.arrive("slow")

    await master.answer()

    response = await master.response(request_id)
    assert response.status == RequestStatus.FAILED
    assert response.reason == (
        "the slow handler could not answer after 1 attempts: "
        "the slow handler took longer than 0.05 s"
    )


async def test_parameters_a_handler_refuses_fail_at_once(master: Master) -> None:
    request_id = await master.arrive("refuse")
    await master.answer()

    request, response = await master.request(request_id), await master.response(request_id)
    assert (request.status, request.attempts) == ("failed", 1)
    assert response.reason == (
        "the refuse handler refused the request: the data source refused the query: DataError"
    )


async def test_requests_of_a_type_deleted_or_changed_in_flight_fail_at_once(
    master: Master, response_runtime: ResponseRuntime
) -> None:
    deleted = await master.arrive("echo")
    inactive = await master.arrive("count")
    unfit = await master.arrive("flaky", parameters={"q": 42})
    unknown = await master.arrive("teleport")
    async with response_runtime.unit_of_work() as uow:
        types = {
            t.name: t
            for t in await uow.session.scalars(
                select(RequestType).where(RequestType.name.in_(["echo", "count", "flaky"]))
            )
        }
        await delete_request_type(session=uow.session, item=types["echo"], actor=ADMIN)
        types["count"].active = False

    run = await master.answer()

    reasons = {
        request_id: (await master.response(request_id)).reason
        for request_id in (deleted, inactive, unfit, unknown)
    }
    assert run.failed == 4
    assert str(reasons[deleted]).startswith(
        "this request can no longer be answered: the request type 'echo' was deleted at "
    )
    assert reasons[inactive] == (
        "this request can no longer be answered: the request type 'count' is not active"
    )
    assert reasons[unfit] == (
        "the parameters no longer fit the request type 'flaky': "
        'parameters.q: the value is not of type "string"'
    )
    assert reasons[unknown] == "this request can no longer be answered: no request type 'teleport'"
    assert CountedHandler.runs == []
    for request_id in reasons:
        assert (await master.response(request_id)).version == 2  # received, then failed


async def test_the_requests_a_run_fails_at_once_each_keep_their_own_reason(
    master: Master, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One UPDATE fails a chunk of requests; chunks of 2 make five failures take three.
    monkeypatch.setattr(due, "IN_CHUNK", 2)
    unknown = {await master.arrive(f"teleport-{n}"): f"teleport-{n}" for n in range(3)}
    unfit = [await master.arrive("flaky", parameters={"q": n}) for n in range(2)]
    answered = await master.arrive("echo")

    run = await master.answer()

    assert (run.failed, run.answered) == (5, 1)
    for request_id, name in unknown.items():
        request = await master.request(request_id)
        assert (request.status, request.status_reason, request.claim_expires_at) == (
            "failed",
            f"this request can no longer be answered: no request type {name!r}",
            None,
        )
    for request_id in unfit:
        request = await master.request(request_id)
        assert (request.status, request.status_reason) == (
            "failed",
            "the parameters no longer fit the request type 'flaky': "
            'parameters.q: the value is not of type "string"',
        )
    assert (await master.request(answered)).status == "answered"


async def test_manual_requests_wait_for_an_operator(master: Master) -> None:
    request_id = await master.arrive("manual")
    run = await master.answer()

    assert run.taken == 0
    assert (await master.request(request_id)).status == "received"
    assert (await master.response(request_id)).version == 1


async def test_a_handler_may_leave_a_request_to_an_operator(master: Master) -> None:
    request_id = await master.arrive("handover")
    await master.answer()

    request = await master.request(request_id)
    assert (request.status, request.attempts) == ("received", 3)
    assert request.status_reason == "the handover handler leaves this request to an operator"
    assert (await master.answer()).taken == 0
    assert (await master.response(request_id)).status == "received"


async def test_a_type_whose_handler_is_gone_fails_at_once(
    master: Master, response_runtime: ResponseRuntime
) -> None:
    async with response_runtime.unit_of_work() as uow:
        uow.session.add(
            RequestType(
                name="legacy",
                title="Legacy",
                handler="uninstalled",
                handler_settings={},
                parameter_schema={"type": "object"},
            )
        )
    request_id = await master.arrive("legacy")

    await master.answer()

    assert (await master.response(request_id)).reason == (
        "the uninstalled handler of 'legacy' is not installed here"
    )


async def test_a_lost_workers_request_is_taken_again_once_its_lease_expires(
    master: Master, response_runtime: ResponseRuntime, response_settings: ResponseSettings
) -> None:
    request_id = await master.arrive("count", parameters={"q": "lost"})
    async with response_runtime.unit_of_work() as uow:  # a worker takes it, then dies
        [stale], _ = await take_due_requests(
            session=uow.session, handlers=master.handlers, settings=response_settings
        )
    leased = await master.request(request_id)
    assert leased.status == "processing"
    assert leased.claimed_by is None
    assert seconds_until(leased.claim_expires_at) > response_settings.handler_timeout_seconds
    assert (await master.answer()).taken == 0, "a live lease is left alone"

    await master.later(request_id, claim_expires_at=None)
    run = await master.answer()

    assert (run.answered, (await master.request(request_id)).attempts) == (1, 2)
    async with response_runtime.unit_of_work() as uow:  # the first worker comes back late
        late = await record_outcome(
            session=uow.session,
            plan=stale,
            outcome=Outcome(error="too late"),
            settings=response_settings,
        )
    assert late is None
    assert (await master.response(request_id)).status == RequestStatus.ANSWERED


async def test_a_request_whose_workers_keep_dying_fails(
    master: Master, response_runtime: ResponseRuntime, response_settings: ResponseSettings
) -> None:
    request_id = await master.arrive("count")
    for _ in range(response_settings.answer_max_attempts):
        async with response_runtime.unit_of_work() as uow:
            await take_due_requests(
                session=uow.session, handlers=master.handlers, settings=response_settings
            )
        await master.later(request_id, claim_expires_at=None)

    await master.answer()

    response = await master.response(request_id)
    assert response.status == RequestStatus.FAILED
    assert (
        response.reason == "the count handler did not finish after 3 attempts (its worker stopped)"
    )
    assert CountedHandler.runs == []


async def test_two_workers_never_run_one_request(master: Master) -> None:
    ids = [await master.arrive("count", parameters={"q": f"q{i}"}) for i in range(12)]

    runs = await asyncio.gather(master.answer(), master.answer())

    assert sum(run.answered for run in runs) == 12
    assert sorted(CountedHandler.runs) == sorted(f"q{i}" for i in range(12))
    for request_id in ids:
        assert (await master.response(request_id)).answer_number == 1


async def test_the_highest_priority_then_the_oldest_is_answered_first(
    master: Master, response_settings: ResponseSettings
) -> None:
    response_settings.answer_batch_size = 1
    now = utcnow()
    await master.arrive(
        "count", parameters={"q": "old-low"}, priority=1, submitted_at=now - timedelta(hours=1)
    )
    await master.arrive("count", parameters={"q": "new-high"}, priority=9, submitted_at=now)
    await master.arrive(
        "count", parameters={"q": "old-mid"}, priority=5, submitted_at=now - timedelta(minutes=5)
    )
    await master.arrive("count", parameters={"q": "new-mid"}, priority=5, submitted_at=now)

    for _ in range(4):
        assert (await master.answer()).answered == 1

    assert CountedHandler.runs == ["new-high", "old-mid", "new-mid", "old-low"]


async def test_the_owners_profile_caps_the_results(
    master: Master, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    owner: User = await make_user("capped")
    async with response_runtime.unit_of_work() as uow:
        uow.session.add(Profile(name="tight", allow_all=True, max_results=10))
        stored = await uow.session.get(User, owner.id)
        assert stored is not None
        stored.profile = "tight"
    capped = await master.arrive("count", owner_id=owner.id)
    uncapped = await master.arrive("count")

    await master.answer()

    assert (await master.response(capped)).body == {"q": "hello", "max_results": 10}
    assert (await master.response(uncapped)).body == {"q": "hello", "max_results": 25}


async def test_the_poll_runs_at_most_once_per_interval(
    master: Master,
    response_runtime: ResponseRuntime,
    response_settings: ResponseSettings,
    handlers: HandlerRegistry,
) -> None:
    response_settings.answer_poll_seconds = 1
    await response_runtime.cache.delete(POLL_KEY)
    first = await master.arrive("echo")
    assert await poll_due_requests(runtime=response_runtime, handlers=handlers) is not None
    second = await master.arrive("echo")

    assert await poll_due_requests(runtime=response_runtime, handlers=handlers) is None
    assert (await master.request(second)).status == "received"
    await asyncio.sleep(1.1)
    assert await poll_due_requests(runtime=response_runtime, handlers=handlers) is not None
    assert [(await master.request(i)).status for i in (first, second)] == ["answered"] * 2
