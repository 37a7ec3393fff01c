"""The `responses` import: requests follow their response's status, with history and audit."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
from sqlalchemy import select

from request_network.audit.models import AuditEvent
from request_network.requests.models import RequestStatus
from request_network.runtime import RequestRuntime
from request_network.users.models import User
from shared.exchange.importing import ImportStatus
from tests.request_network.responses.conftest import (
    ApplyResponses,
    Headers,
    ImportResponses,
    counted_statements,
    history,
    insert_request,
    response,
    stored_request,
    writes,
)


async def test_a_request_follows_its_responses_with_one_event_each(
    request_runtime: RequestRuntime, alice: User, apply_responses: ApplyResponses
) -> None:
    request_id = await insert_request(request_runtime, alice)

    await apply_responses(response(request_id, status="received", version=1))
    await apply_responses(response(request_id, status="processing", version=2))
    outcome = await apply_responses(response(request_id, status="answered", version=3))

    request = await stored_request(request_runtime, request_id)
    assert (outcome.applied, outcome.unknown) == (1, [])
    assert request.status == RequestStatus.ANSWERED
    assert await history(request_runtime, request_id) == [
        ("received", None),
        ("processing", None),
        ("answered", None),
    ]


async def test_a_refusal_carries_its_reason_to_the_request(
    request_runtime: RequestRuntime, alice: User, apply_responses: ApplyResponses
) -> None:
    request_id = await insert_request(request_runtime, alice)

    await apply_responses(
        response(request_id, status="rejected", reason="the city is not covered", body="no")
    )

    request = await stored_request(request_runtime, request_id)
    assert (request.status, request.status_reason) == ("rejected", "the city is not covered")
    assert await history(request_runtime, request_id) == [("rejected", "the city is not covered")]


async def test_older_and_repeated_responses_change_nothing(
    request_runtime: RequestRuntime, alice: User, apply_responses: ApplyResponses
) -> None:
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id, status="answered", version=3))

    repeated = await apply_responses(response(request_id, status="answered", version=3))
    older = await apply_responses(response(request_id, status="processing", version=2))
    # Out of order within one chunk: the newest of the two wins.
    both = await apply_responses(
        response(request_id, status="failed", version=5, reason="gave up"),
        response(request_id, status="processing", version=4),
    )

    request = await stored_request(request_runtime, request_id)
    assert (repeated.applied, older.applied, both.applied) == (0, 0, 1)
    assert request.status == RequestStatus.FAILED
    assert await history(request_runtime, request_id) == [("answered", None), ("failed", "gave up")]


async def test_a_read_answer_stays_delivered_until_a_newer_answer_arrives(
    request_runtime: RequestRuntime,
    alice: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id, version=1))
    await request_client.get(f"/requests/{request_id}/response", headers=auth(alice))

    # The same answer again (a newer version, e.g. a corrected `answered_by`): still delivered.
    await apply_responses(response(request_id, version=2))
    after_same = await stored_request(request_runtime, request_id)
    await apply_responses(
        response(request_id, version=3, answer_number=2, body={"answer": "second"})
    )
    after_newer = await stored_request(request_runtime, request_id)
    read = await request_client.get(f"/requests/{request_id}/response", headers=auth(alice))

    assert after_same.status == RequestStatus.DELIVERED
    assert after_newer.status == RequestStatus.ANSWERED
    assert (read.json()["body"], read.json()["answer_number"]) == ({"answer": "second"}, 2)
    assert [status for status, _ in await history(request_runtime, request_id)] == [
        "answered",
        "delivered",
        "answered",
        "delivered",
    ]


async def test_a_re_answer_before_the_first_was_read_is_one_more_event(
    request_runtime: RequestRuntime, alice: User, apply_responses: ApplyResponses
) -> None:
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id, version=1))

    await apply_responses(response(request_id, version=2, answer_number=2))

    assert await history(request_runtime, request_id) == [("answered", None), ("answered", None)]


async def test_a_batch_reports_unknown_requests_and_they_show_once_the_request_exists(
    request_runtime: RequestRuntime,
    alice: User,
    import_responses: ImportResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    known = await insert_request(request_runtime, alice)
    early = uuid.uuid4()

    results = await import_responses(
        response(known, body={"answer": "known"}), response(early, body={"answer": "early"})
    )
    async with request_runtime.unit_of_work() as uow:
        audit = await uow.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "transfer.batch_imported")
        )
    before = await request_client.get(f"/requests/{early}/response", headers=auth(alice))
    await insert_request(request_runtime, alice, request_id=early)
    answer = await request_client.get(f"/requests/{early}/response", headers=auth(alice))

    assert [(r.status, r.applied, r.unknown) for r in results] == [
        (ImportStatus.APPLIED, 2, [str(early)])
    ]
    assert audit is not None
    assert audit.details is not None
    assert audit.details["unknown"] == [str(early)]
    assert (before.status_code, before.json()["code"]) == (404, "not_found.request")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["body"]) == ("delivered", {"answer": "early"})
    assert [status for status, _ in await history(request_runtime, early)] == [
        "answered",
        "delivered",
    ]


async def test_an_imported_batch_settles_the_request_before_any_read_and_reading_writes_nothing(
    request_runtime: RequestRuntime,
    alice: User,
    import_responses: ImportResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    request_id = await insert_request(request_runtime, alice)

    await import_responses(response(request_id, status="processing", version=1))
    await import_responses(
        response(request_id, status="rejected", version=2, reason="no such city", body="no")
    )
    settled = await stored_request(request_runtime, request_id)
    settled_history = await history(request_runtime, request_id)
    with counted_statements(request_runtime) as statements:
        detail = await request_client.get(f"/requests/{request_id}", headers=auth(alice))
    after = await stored_request(request_runtime, request_id)

    assert (settled.status, settled.status_reason) == ("rejected", "no such city")
    assert settled_history == [("processing", None), ("rejected", "no such city")]
    assert detail.status_code == 200, detail.text
    assert (detail.json()["status"], detail.json()["status_reason"]) == (
        "rejected",
        "no such city",
    )
    assert [(e["status"], e["reason"]) for e in detail.json()["history"]] == settled_history
    assert statements, "the read was not counted"
    assert writes(statements) == []
    assert (after.version, after.updated_at) == (settled.version, settled.updated_at)


async def test_a_request_whose_response_came_first_is_settled_by_reading_its_answer(
    request_runtime: RequestRuntime,
    alice: User,
    apply_responses: ApplyResponses,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    """Only a restored database holds a request older than its response: the request's own
    read shows what is stored; reading the answer (a write by design) settles it."""
    early = uuid.uuid4()
    await apply_responses(response(early, body={"answer": "early"}))
    await insert_request(request_runtime, alice, request_id=early)

    with counted_statements(request_runtime) as statements:
        before = await request_client.get(f"/requests/{early}", headers=auth(alice))
    answer = await request_client.get(f"/requests/{early}/response", headers=auth(alice))
    after = await request_client.get(f"/requests/{early}", headers=auth(alice))

    assert (before.json()["status"], before.json()["history"]) == ("exported", [])
    assert writes(statements) == []
    assert answer.json()["body"] == {"answer": "early"}
    assert after.json()["status"] == "delivered"
    assert [event["status"] for event in after.json()["history"]] == ["answered", "delivered"]


async def test_a_newer_version_saying_the_same_adds_no_event(
    request_runtime: RequestRuntime, alice: User, apply_responses: ApplyResponses
) -> None:
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id, status="processing", version=1))

    outcome = await apply_responses(response(request_id, status="processing", version=2))

    assert outcome.applied == 1
    assert await history(request_runtime, request_id) == [("processing", None)]


async def test_a_chunk_settles_its_requests_with_one_update_and_one_insert(
    request_runtime: RequestRuntime, alice: User, apply_responses: ApplyResponses
) -> None:
    ids = [await insert_request(request_runtime, alice) for _ in range(3)]

    with counted_statements(request_runtime) as statements:
        await apply_responses(*(response(request_id, status="processing") for request_id in ids))

    heads = [" ".join(s.split()[:3]) for s in writes(statements)]
    assert [h for h in heads if h.startswith(("UPDATE request ", "INSERT INTO request_event"))] == [
        "UPDATE request SET",
        "INSERT INTO request_event",
    ]
    assert [await history(request_runtime, i) for i in ids] == [[("processing", None)]] * 3
