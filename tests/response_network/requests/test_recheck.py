"""The master believes nothing the request network sends: it re-checks every request before
answering it, and keeps what it first imported of each.

A batch here is what a compromised request network could sign: its own requests, written
by the exporter with its key, naming owners, types and priorities the master never allowed.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import update

from core.db import utcnow
from core.runtime import Runtime
from request_network.requests.models import Request as SubmittedRequest
from response_network.catalog.models import Grant, Profile, RequestType
from response_network.requests.stream import apply_request_records
from response_network.runtime import ResponseRuntime
from response_network.users.models import User
from shared.exchange.export import export_all
from shared.exchange.importing import ImportStatus, import_pending
from shared.records import RequestRecord, RequestsStreamRecord
from tests.response_network.conftest import UserFactory
from tests.response_network.requests.conftest import CountedHandler, HeadersFor, Master
from tests.response_network.requests.test_streams import (
    responses_sent,
    submit_on_the_request_network,
)
from tests.shared.exchange.conftest import Networks

CANNOT = "this request can no longer be answered: "


async def _narrow_user(runtime: Runtime[Any], make_user: UserFactory) -> User:
    """A user whose profile blocks `count` and allows priorities up to 3."""
    user = await make_user("narrow")
    async with runtime.unit_of_work() as uow:
        uow.session.add(
            Profile(name="narrow", allow_all=True, blocked_types=["count"], max_priority=3)
        )
        await uow.session.execute(update(User).where(User.id == user.id).values(profile="narrow"))
    return user


async def test_a_forged_batch_fails_every_request_it_may_not_carry_and_answers_none(
    networks: Networks, master: Master, make_user: UserFactory, response_runtime: ResponseRuntime
) -> None:
    inactive = await make_user("gone", active=False)
    narrow = await _narrow_user(response_runtime, make_user)
    async with response_runtime.unit_of_work() as uow:
        await uow.session.execute(
            update(RequestType)
            .where(RequestType.name == "slow")
            .values(deleted_at=utcnow(), active=False)
        )
        await uow.session.execute(
            update(RequestType).where(RequestType.name == "refuse").values(active=False)
        )
    forged: dict[str, dict[str, Any]] = {
        "inactive owner": {"owner_id": inactive.id},
        "unknown owner": {"owner_id": uuid.uuid4()},
        "blocked type": {"owner_id": narrow.id, "request_type": "count"},
        "deleted type": {"owner_id": master.owner_id, "request_type": "slow"},
        "inactive type": {"owner_id": master.owner_id, "request_type": "refuse"},
        "priority": {"owner_id": narrow.id, "priority": 9},
        "parameters": {"owner_id": master.owner_id, "parameters": {"q": "x" * 101}},
    }
    ids = {}
    for case, fields in forged.items():
        [ids[case]] = await submit_on_the_request_network(networks, 1, **fields)
    [allowed] = await submit_on_the_request_network(networks, 1, owner_id=narrow.id, priority=3)
    await export_all(networks.request_ctx)
    [imported] = await import_pending(networks.response_ctx)
    assert (imported.status, imported.applied) == (ImportStatus.APPLIED, 8)

    run = await master.answer()

    assert (run.failed, run.answered) == (7, 1)
    assert CountedHandler.runs == [], "no handler ran for a forged request"
    reasons = {case: (await master.response(ids[case])).reason for case in forged}
    assert reasons == {
        "inactive owner": CANNOT + "the account that submitted it is not active",
        "unknown owner": CANNOT + "it names no known user",
        "blocked type": CANNOT + "your profile does not allow 'count'",
        "deleted type": reasons["deleted type"],
        "inactive type": CANNOT + "the request type 'refuse' is not active",
        "priority": CANNOT + "priority 9 is above the 3 your profile allows",
        "parameters": reasons["parameters"],
    }
    assert str(reasons["deleted type"]).startswith(CANNOT + "the request type 'slow' was deleted")
    assert str(reasons["parameters"]).startswith(
        "the parameters no longer fit the request type 'echo': parameters.q: "
    )
    for case, request_id in ids.items():
        request, response = await master.request(request_id), await master.response(request_id)
        assert (request.status, request.status_reason) == ("failed", reasons[case]), case
        assert (response.status, response.answer_number, response.body) == ("failed", 0, None)
    assert (await master.response(allowed)).status == "answered"

    await export_all(networks.response_ctx)
    sent = {record["id"]: record for record in responses_sent(networks.response_ctx)}
    assert {case: sent[str(ids[case])]["reason"] for case in forged} == reasons
    events = await master.audit("request.recheck_failed")
    assert sorted((event.object_id, event.result) for event in events) == sorted(
        (str(request_id), "failure") for request_id in ids.values()
    )
    assert sorted(str(event.details["check"]) for event in events if event.details) == [
        "access",
        "owner",
        "owner",
        "parameters",
        "priority",
        "type",
        "type",
    ]


async def test_a_grant_opens_a_type_the_profile_does_not_until_it_is_revoked(
    master: Master, make_user: UserFactory, response_runtime: ResponseRuntime
) -> None:
    narrow = await _narrow_user(response_runtime, make_user)
    async with response_runtime.unit_of_work() as uow:
        uow.session.add(Grant(user_id=narrow.id, request_type="count"))
    granted = await master.arrive(
        "count", owner_id=narrow.id, parameters={"q": "granted"}, priority=3
    )
    await master.answer()
    async with response_runtime.unit_of_work() as uow:
        await uow.session.execute(update(Grant).values(revoked_at=utcnow()))
    revoked = await master.arrive(
        "count", owner_id=narrow.id, parameters={"q": "revoked"}, priority=3
    )

    await master.answer()

    assert (await master.response(granted)).status == "answered"
    assert (await master.response(revoked)).reason == (
        CANNOT + "your profile does not allow 'count'"
    )
    assert CountedHandler.runs == ["granted"]


async def test_one_request_that_breaks_its_check_does_not_stop_the_others(
    master: Master, response_runtime: ResponseRuntime
) -> None:
    async with response_runtime.unit_of_work() as uow:
        # Stored past the definition-time check: a pattern no regex engine compiles.
        uow.session.add(
            RequestType(
                name="broken",
                title="Broken",
                handler="count",
                handler_settings={},
                parameter_schema={
                    "type": "object",
                    "properties": {"q": {"type": "string", "pattern": "("}},
                },
            )
        )
    broken = await master.arrive("broken")
    fine = await master.arrive("count", parameters={"q": "fine"})

    run = await master.answer()

    assert (run.failed, run.answered) == (1, 1)
    assert (await master.request(broken)).status == "failed"
    assert (await master.response(fine)).body == {"q": "fine", "max_results": 25}


async def test_a_later_version_cannot_rewrite_an_imported_request_and_is_audited(
    networks: Networks, master: Master
) -> None:
    [first] = await submit_on_the_request_network(networks, 1, owner_id=master.owner_id, priority=1)
    await export_all(networks.request_ctx)
    await import_pending(networks.response_ctx)
    # The request network changes what was submitted (its change tracking bumps the
    # version) and sends it with one new request in the same batch.
    async with networks.request.unit_of_work() as uow:
        submitted = await uow.session.get(SubmittedRequest, first)
        assert submitted is not None
        submitted.owner_id = uuid.uuid4()
        submitted.request_type = "count"
        submitted.parameters = {"q": "rewritten"}
        submitted.priority = 9
    [second] = await submit_on_the_request_network(networks, 1, owner_id=master.owner_id)
    await export_all(networks.request_ctx)

    [imported] = await import_pending(networks.response_ctx)

    assert (imported.status, imported.applied) == (ImportStatus.APPLIED, 1)
    kept = await master.request(first)
    assert (kept.owner_id, kept.request_type, kept.parameters, kept.priority, kept.version) == (
        master.owner_id,
        "echo",
        {"q": "question 0"},
        1,
        1,
    )
    assert (await master.request(second)).status == "received"
    [event] = await master.audit("request.rewrite_refused")
    assert (event.object_type, event.object_id, event.result) == ("request", str(first), "failure")
    assert event.details == {
        "fields": ["owner_id", "request_type", "parameters", "priority"],
        "version": 2,
    }


def _record(
    request_id: uuid.UUID, owner_id: uuid.UUID, version: int, **fields: object
) -> RequestsStreamRecord:
    values: dict[str, object] = {
        "id": request_id,
        "owner_id": owner_id,
        "request_type": "echo",
        "type_version": 1,
        "parameters": {"q": "first", "n": 1},
        "priority": 2,
        "submitted_at": utcnow().replace(microsecond=0),
        "version": version,
    }
    return RequestsStreamRecord(RequestRecord.model_validate(values | fields))


async def test_within_one_chunk_the_first_version_is_kept_and_a_repeat_applies(
    master: Master, response_runtime: ResponseRuntime
) -> None:
    new, repeated = uuid.uuid4(), uuid.uuid4()
    at = utcnow().replace(microsecond=0)
    async with response_runtime.unit_of_work() as uow:
        await apply_request_records(uow.session, [_record(repeated, master.owner_id, 1)])
    async with response_runtime.unit_of_work() as uow:
        outcome = await apply_request_records(
            uow.session,
            [
                _record(new, master.owner_id, 2, parameters={"q": "first", "n": True}),
                _record(new, master.owner_id, 1),
                _record(repeated, master.owner_id, 2, submitted_at=at),
            ],
        )

    assert outcome.applied == 2
    assert ((await master.request(new)).parameters, (await master.request(new)).version) == (
        {"q": "first", "n": 1},
        1,
    )
    assert (await master.request(repeated)).version == 2
    [event] = await master.audit("request.rewrite_refused")
    assert (event.object_id, event.details) == (str(new), {"fields": ["parameters"], "version": 2})


async def test_an_operator_may_not_claim_or_answer_a_request_that_fails_its_recheck(
    master: Master,
    response_client: httpx.AsyncClient,
    operator: User,
    admin: User,
    headers: HeadersFor,
    make_user: UserFactory,
) -> None:
    inactive = await make_user("gone", active=False)
    request_id = await master.arrive("manual", owner_id=inactive.id)

    claimed = await response_client.post(f"/requests/{request_id}/claim", headers=headers(operator))
    answered = await response_client.post(
        f"/requests/{request_id}/response",
        json={"status": "answered", "body": "secret"},
        headers=headers(admin),
    )
    failed = await response_client.post(
        f"/requests/{request_id}/response",
        json={"status": "failed", "reason": "not entitled"},
        headers=headers(admin),
    )

    assert (claimed.status_code, claimed.json()["code"]) == (403, "forbidden.recheck")
    assert claimed.json()["detail"].startswith(CANNOT + "the account that submitted it is not")
    assert (answered.status_code, answered.json()["code"]) == (403, "forbidden.recheck")
    assert failed.status_code == 200, failed.text
    response = await master.response(request_id)
    assert (response.status, response.answer_number, response.body) == ("failed", 0, None)
