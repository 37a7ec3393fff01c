"""Owners cancel requests on the request network; the master stops what it has not decided."""

from __future__ import annotations

import httpx

from request_network.settings import RequestSettings
from response_network.requests.answering import record_outcome, run_plan
from response_network.requests.due import take_due_requests
from response_network.settings import ResponseSettings
from response_network.users.models import User
from tests.response_network.requests.conftest import HeadersFor, Master
from tests.response_network.requests.crossing import cancel_on_master, crossing
from tests.shared.exchange.conftest import Networks


async def test_a_cancelled_exported_request_is_stopped_and_cancelled_comes_back(
    networks: Networks,
    master: Master,
    request_settings: RequestSettings,
    request_client: httpx.AsyncClient,
) -> None:
    both = await crossing(networks, master, request_settings)
    request_id = await both.submit("manual")
    await both.to_master()
    assert (await master.request(request_id)).status == "received"

    asked = await request_client.post(f"/requests/{request_id}/cancel", headers=both.owner)

    assert asked.status_code == 200, asked.text
    assert (asked.json()["status"], asked.json()["cancel_requested_at"] is not None) == (
        "exported",
        True,
    )
    await both.to_master()
    stopped = await master.request(request_id)
    assert (stopped.status, stopped.status_reason) == ("cancelled", "cancelled by its owner")
    assert (await master.response(request_id)).status == "cancelled"
    [audited] = await master.audit("request.cancelled")
    assert audited.object_id == str(request_id)
    await both.back()
    status, history = await both.seen_here(request_id)
    assert (status, history[-1]) == ("cancelled", "cancelled")
    shown = await request_client.get(f"/requests/{request_id}", headers=both.owner)
    assert (shown.json()["status"], shown.json()["status_reason"]) == (
        "cancelled",
        "cancelled by its owner",
    )
    again = await request_client.post(f"/requests/{request_id}/cancel", headers=both.owner)
    assert (again.status_code, again.json()["status"]) == (200, "cancelled")


async def test_a_claimed_manual_request_cancelled_shows_it_and_refuses_the_answer(
    master: Master, response_client: httpx.AsyncClient, operator: User, headers: HeadersFor
) -> None:
    request_id = await master.arrive("manual")
    olga = headers(operator)
    assert (await response_client.post(f"/requests/{request_id}/claim", headers=olga)).is_success

    await cancel_on_master(master, request_id)

    shown = (await response_client.get(f"/requests/{request_id}", headers=olga)).json()
    assert (shown["status"], shown["claim"]["holder"]) == ("cancelled", "olga")
    assert shown["response"]["status"] == "cancelled"
    answered = await response_client.post(
        f"/requests/{request_id}/response",
        json={"status": "answered", "body": "too late"},
        headers=olga,
    )
    assert answered.status_code == 409
    assert answered.json()["code"] == "conflict.cancelled"
    response = await master.response(request_id)
    assert (response.status, response.answer_number) == ("cancelled", 0)
    reclaimed = await response_client.post(f"/requests/{request_id}/claim", headers=olga)
    assert (reclaimed.status_code, reclaimed.json()["code"]) == (409, "conflict.cancelled")


async def test_a_cancellation_stops_a_request_waiting_for_its_handler(master: Master) -> None:
    request_id = await master.arrive("echo")

    await cancel_on_master(master, request_id)

    assert (await master.answer()).taken == 0
    assert (await master.request(request_id)).status == "cancelled"


async def test_a_cancellation_after_the_answer_changes_nothing(master: Master) -> None:
    request_id = await master.arrive("echo")
    await master.answer()
    answered = await master.response(request_id)

    await cancel_on_master(master, request_id)

    assert (await master.request(request_id)).status == "answered"
    response = await master.response(request_id)
    assert (response.status, response.version) == ("answered", answered.version)
    assert await master.audit("request.cancelled") == []


async def test_a_cancellation_discards_the_answer_of_a_handler_already_running(
    master: Master, response_settings: ResponseSettings
) -> None:
    request_id = await master.arrive("echo")
    async with master.runtime.unit_of_work() as uow:
        [plan], _ = await take_due_requests(
            session=uow.session, handlers=master.handlers, settings=response_settings
        )
    outcome = await run_plan(plan)
    assert outcome.answer is not None

    await cancel_on_master(master, request_id)

    async with master.runtime.unit_of_work() as uow:
        recorded = await record_outcome(
            session=uow.session, plan=plan, outcome=outcome, settings=response_settings
        )
    assert recorded is None, "the worker's lease ended with the cancellation"
    request, response = await master.request(request_id), await master.response(request_id)
    assert (request.status, request.claim_expires_at) == ("cancelled", None)
    assert (response.status, response.answer_number, response.body) == ("cancelled", 0, None)
