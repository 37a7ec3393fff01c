"""The operator queue and the admin monitor: what is waiting, in which order, for how long."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from core.db import utcnow
from core.pagination import encode_position
from response_network.users.models import User
from tests.response_network.conftest import UserFactory
from tests.response_network.requests.conftest import Headers, HeadersFor, Master


async def test_the_queue_lists_unanswered_requests_by_priority_then_age_a_page_at_a_time(
    master: Master, response_client: httpx.AsyncClient, operator: User, headers: HeadersFor
) -> None:
    now = utcnow()
    owner = uuid.uuid4()
    expected = []
    for priority, minutes in ((9, 1), (5, 30), (5, 20), (5, 20), (5, 20), (0, 90)):
        expected.append(
            (
                priority,
                await master.arrive(
                    "manual",
                    priority=priority,
                    owner_id=owner,
                    submitted_at=now - timedelta(minutes=minutes),
                ),
            )
        )
    answered = await master.arrive("echo", priority=9)
    await master.answer()

    seen: list[uuid.UUID] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await response_client.get("/requests", params=params, headers=headers(operator))
        assert page.status_code == 200, page.text
        seen.extend(uuid.UUID(item["id"]) for item in page.json()["items"])
        pages += 1
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert answered not in seen
    rows = [await master.request(request_id) for request_id in seen]
    order = [(-r.priority, r.submitted_at, str(r.id)) for r in rows]
    assert order == sorted(order)
    assert sorted(seen) == sorted(request_id for _, request_id in expected)


async def test_the_queue_filters_by_status_type_and_owner(
    master: Master,
    response_client: httpx.AsyncClient,
    operator: User,
    headers: HeadersFor,
    make_user: UserFactory,
) -> None:
    alice, bob = (await make_user("alice")).id, (await make_user("bob")).id
    manual_alice = await master.arrive("manual", owner_id=alice)
    await master.arrive("manual", owner_id=bob)
    echo_alice = await master.arrive("echo", owner_id=alice)
    await master.answer()
    olga = headers(operator)

    async def ids(**params: str) -> list[str]:
        answer = await response_client.get("/requests", params=params, headers=olga)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert await ids(owner_id=str(alice)) == [str(manual_alice)]
    assert await ids(status="answered") == [str(echo_alice)]
    assert await ids(status="answered", request_type="manual") == []
    assert len(await ids(request_type="manual")) == 2
    wrong = await response_client.get("/requests", params={"cursor": "bm9wZQ"}, headers=olga)
    assert (wrong.status_code, wrong.json()["code"]) == (422, "invalid.cursor")
    forged = encode_position({"priority": "high", "at": "now", "id": "me"})
    refused = await response_client.get("/requests", params={"cursor": forged}, headers=olga)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid.cursor")
    naive = encode_position({"priority": "5", "at": "2026-01-01T00:00:00", "id": str(uuid.uuid4())})
    refused = await response_client.get("/requests", params={"cursor": naive}, headers=olga)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid.cursor")
    bad_status = await response_client.get("/requests", params={"status": "lost"}, headers=olga)
    assert bad_status.status_code == 422


async def test_one_request_in_detail_and_an_unknown_one(
    master: Master, response_client: httpx.AsyncClient, operator: User, headers: HeadersFor
) -> None:
    request_id = await master.arrive("echo", parameters={"q": "detail"}, priority=7)
    await master.answer()

    detail = await response_client.get(f"/requests/{request_id}", headers=headers(operator))
    missing = await response_client.get(f"/requests/{uuid.uuid4()}", headers=headers(operator))

    body = detail.json()
    assert (body["request_type"], body["parameters"], body["priority"]) == (
        "echo",
        {"q": "detail"},
        7,
    )
    assert (body["status"], body["attempts"], body["claim"]) == ("answered", 1, None)
    assert body["response"]["body"] == {"q": "detail"}
    assert body["response"]["answered_by"] == "handler:echo"
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found.request")


async def test_the_admin_monitor_counts_statuses_and_the_oldest_wait(
    master: Master, response_client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    empty = (await response_client.get("/admin/requests", headers=admin_headers)).json()
    assert (empty["total"], empty["oldest_unanswered_age_seconds"]) == (0, None)
    await master.arrive("manual", submitted_at=utcnow() - timedelta(minutes=10))
    await master.arrive("echo", submitted_at=utcnow() - timedelta(hours=2))
    await master.arrive("refuse")
    await master.answer()

    figures = (await response_client.get("/admin/requests", headers=admin_headers)).json()

    assert figures["counts"] == {
        "received": 1,
        "processing": 0,
        "answered": 1,
        "failed": 1,
        "rejected": 0,
        "cancelled": 0,
    }
    assert figures["total"] == 3
    assert 595 < figures["oldest_unanswered_age_seconds"] < 700
