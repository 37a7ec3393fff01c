"""Operators claim, release and answer requests; one holder at a time, nothing half-written."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from response_network.requests.due import take_due_requests
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.users.models import User
from tests.response_network.requests.conftest import Headers, HeadersFor, Master


async def claim(client: httpx.AsyncClient, request_id: uuid.UUID, as_: Headers) -> httpx.Response:
    return await client.post(f"/requests/{request_id}/claim", headers=as_)


async def release(client: httpx.AsyncClient, request_id: uuid.UUID, as_: Headers) -> httpx.Response:
    return await client.post(f"/requests/{request_id}/release", headers=as_)


async def respond(
    client: httpx.AsyncClient, request_id: uuid.UUID, as_: Headers, **body: Any
) -> httpx.Response:
    return await client.post(f"/requests/{request_id}/response", json=body, headers=as_)


async def test_an_operator_claims_answers_and_answers_again(
    master: Master,
    response_client: httpx.AsyncClient,
    operator: User,
    headers: HeadersFor,
) -> None:
    request_id = await master.arrive("manual", parameters={"q": "inventory"})
    olga = headers(operator)

    claimed = await claim(response_client, request_id, olga)
    assert claimed.status_code == 200, claimed.text
    assert (claimed.json()["holder"], claimed.json()["holder_id"]) == ("olga", str(operator.id))
    shown = (await response_client.get(f"/requests/{request_id}", headers=olga)).json()
    assert (shown["status"], shown["claim"]["holder"]) == ("processing", "olga")
    assert (shown["response"]["status"], shown["response"]["version"]) == ("processing", 2)

    answered = await respond(response_client, request_id, olga, status="answered", body={"n": 3})
    assert answered.status_code == 200, answered.text
    assert {k: answered.json()[k] for k in ("status", "body", "content_type", "answer_number")} == {
        "status": "answered",
        "body": {"n": 3},
        "content_type": "application/json",
        "answer_number": 1,
    }
    assert answered.json()["answered_by"] == "olga"
    after = (await response_client.get(f"/requests/{request_id}", headers=olga)).json()
    assert (after["status"], after["claim"]) == ("answered", None)

    # A decided request can be claimed again (its status stays) and answered anew.
    again = await claim(response_client, request_id, olga)
    assert again.status_code == 200
    assert (await master.request(request_id)).status == "answered"
    corrected = await respond(response_client, request_id, olga, status="answered", body="n=4")
    assert (corrected.json()["answer_number"], corrected.json()["body"]) == (2, "n=4")
    assert corrected.json()["content_type"] == "text/plain; charset=utf-8"
    assert [e.action for e in await master.audit("request.claim")] == ["request.claim"] * 2
    [first, second] = await master.audit("request.respond")
    assert (first.actor_name, first.details) == (
        "olga",
        {
            "request_type": "manual",
            "status": "answered",
            "answer_number": 1,
            "content_type": "application/json",
            "bytes": 7,
        },
    )
    assert second.details is not None
    assert second.details["answer_number"] == 2


async def test_two_operators_claim_at_once_and_exactly_one_wins(
    master: Master,
    response_client: httpx.AsyncClient,
    operator: User,
    other_operator: User,
    headers: HeadersFor,
) -> None:
    request_id = await master.arrive("manual")

    answers = await asyncio.gather(
        claim(response_client, request_id, headers(operator)),
        claim(response_client, request_id, headers(other_operator)),
    )

    assert sorted(a.status_code for a in answers) == [200, 409]
    [won] = [a for a in answers if a.status_code == 200]
    [lost] = [a for a in answers if a.status_code == 409]
    assert lost.json()["code"] == "conflict.claimed"
    assert lost.json()["holder"] == won.json()["holder"]
    assert lost.json()["detail"].startswith(f"{won.json()['holder']} holds this request until ")
    assert len(await master.audit("request.claim")) == 1
    assert (await master.request(request_id)).claimed_by in (operator.id, other_operator.id)


async def test_a_claim_expires_and_another_operator_may_take_over(
    master: Master,
    response_client: httpx.AsyncClient,
    operator: User,
    other_operator: User,
    headers: HeadersFor,
) -> None:
    request_id = await master.arrive("manual")
    olga, oskar = headers(operator), headers(other_operator)
    assert (await claim(response_client, request_id, olga)).status_code == 200
    assert (await claim(response_client, request_id, oskar)).status_code == 409

    await master.later(request_id, claim_expires_at=None)

    taken = await claim(response_client, request_id, oskar)
    assert (taken.status_code, taken.json()["holder"]) == (200, "oskar")
    late = await respond(response_client, request_id, olga, status="answered", body={})
    assert (late.status_code, late.json()["code"]) == (409, "conflict.claimed")


async def test_an_abandoned_claim_returns_the_request_to_the_queue(
    master: Master, response_client: httpx.AsyncClient, operator: User, headers: HeadersFor
) -> None:
    manual = await master.arrive("manual")
    automatic = await master.arrive("echo")
    for request_id in (manual, automatic):
        assert (await claim(response_client, request_id, headers(operator))).status_code == 200
        await master.later(request_id, claim_expires_at=None)

    run = await master.answer()

    assert (run.released, run.answered) == (2, 1)
    assert (await master.response(manual)).status == "received"
    assert (await master.request(manual)).claimed_by is None
    assert (await master.response(automatic)).status == "answered"
    assert len(await master.audit("request.claim_expired")) == 2


async def test_release_by_the_claimer_or_an_admin_only(
    master: Master,
    response_client: httpx.AsyncClient,
    operator: User,
    other_operator: User,
    admin_headers: Headers,
    headers: HeadersFor,
) -> None:
    request_id = await master.arrive("echo")
    olga, oskar = headers(operator), headers(other_operator)
    await claim(response_client, request_id, olga)

    refused = await release(response_client, request_id, oskar)
    assert (refused.status_code, refused.json()["code"]) == (409, "conflict.claimed")
    released = await release(response_client, request_id, olga)
    assert (released.status_code, released.json()["status"]) == (200, "received")
    assert (await master.response(request_id)).status == "received"
    twice = await release(response_client, request_id, olga)
    assert (twice.status_code, twice.json()["code"]) == (409, "conflict.not_claimed")

    await claim(response_client, request_id, oskar)
    by_admin = await release(response_client, request_id, admin_headers)
    assert by_admin.status_code == 200
    [*_, event] = await master.audit("request.release")
    assert event.details is not None
    assert event.details["holder"] == str(other_operator.id)
    # Released, an automatic type goes back to its handler.
    assert (await master.answer()).answered == 1


async def test_an_admin_answers_or_rejects_without_a_claim(
    master: Master, response_client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    request_id = await master.arrive("manual")

    rejected = await respond(
        response_client,
        request_id,
        admin_headers,
        status="rejected",
        reason="we do not hold that data",
    )

    assert rejected.status_code == 200, rejected.text
    assert {k: rejected.json()[k] for k in ("status", "reason", "body", "answer_number")} == {
        "status": "rejected",
        "reason": "we do not hold that data",
        "body": None,
        "answer_number": 0,
    }
    request = await master.request(request_id)
    assert (request.status, request.status_reason) == ("rejected", "we do not hold that data")


async def test_answering_errors_are_4xx_and_write_nothing(
    master: Master,
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    response_settings: ResponseSettings,
    operator: User,
    other_operator: User,
    admin_headers: Headers,
    headers: HeadersFor,
) -> None:
    response_settings.max_response_bytes = 1_024
    olga, oskar = headers(operator), headers(other_operator)
    free = await master.arrive("manual")
    held = await master.arrive("manual")
    leased = await master.arrive("count")
    await claim(response_client, held, oskar)
    async with response_runtime.unit_of_work() as uow:
        await take_due_requests(
            session=uow.session, handlers=master.handlers, settings=response_settings
        )
    before = await master.pending_changes()
    answer = {"status": "answered", "body": {"ok": True}}

    cases: list[tuple[uuid.UUID, Headers, dict[str, Any], int, str | None]] = [
        (uuid.uuid4(), olga, answer, 404, "not_found.request"),
        (free, olga, answer, 409, "conflict.not_claimed"),
        (held, olga, answer, 409, "conflict.claimed"),
        (held, admin_headers, answer, 409, "conflict.claimed"),
        (leased, admin_headers, answer, 409, "conflict.claimed"),
        (free, admin_headers, {"status": "answered", "body": "x" * 1_025}, 413, None),
        (free, admin_headers, {"status": "failed"}, 422, "invalid.request"),
        (free, admin_headers, {"status": "answered"}, 422, "invalid.request"),
        (free, admin_headers, {"status": "answered", "body": {}, "extra": 1}, 422, None),
        (
            free,
            admin_headers,
            {"status": "answered", "body": {"a": 1}, "content_type": "text/csv"},
            422,
            "invalid.request",
        ),
        (free, admin_headers, {"status": "answered", "body": "nul\x00"}, 422, None),
    ]
    for request_id, as_, body, status, code in cases:
        answered = await respond(response_client, request_id, as_, **body)
        assert answered.status_code == status, (body, answered.text)
        if code is not None:
            assert answered.json()["code"] == code
    oversize = await respond(
        response_client, free, admin_headers, status="answered", body="x" * 1_025
    )
    assert oversize.json()["code"] == "payload_too_large.response"
    leased_by = await respond(response_client, leased, admin_headers, status="answered", body={})
    assert leased_by.json()["holder"] == "handler"

    assert await master.pending_changes() == before
    assert await master.audit("request.respond") == []
    assert [(await master.response(i)).status for i in (free, held, leased)] == [
        "received",
        "processing",
        "processing",
    ]
