"""Submitting a request: checked locally, stored `pending`, idempotent on a key."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select

from core.db import utcnow
from request_network.requests.models import Request, RequestEvent, RequestStatus
from request_network.runtime import RequestRuntime
from request_network.transfer.models import ChangeLog
from request_network.users.models import User
from tests.request_network.conftest import redis_commands
from tests.request_network.requests.conftest import Headers, Submit


async def test_a_submission_is_stored_pending_with_its_location(
    submit: Submit, alice: User
) -> None:
    answer = await submit(alice, priority=7)

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert answer.headers["Location"] == f"/requests/{body['id']}"
    assert (body["request_type"], body["priority"], body["status"]) == ("weather", 7, "pending")
    assert (body["owner_id"], body["type_version"]) == (str(alice.id), 1)


@pytest.mark.parametrize("backend", ["production"])
async def test_on_redis_a_submission_reads_its_token_and_the_catalog_in_one_round_trip(
    submit: Submit, alice: User, request_runtime: RequestRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The revocation and the catalog's generation in one MGET, then the rate-limit script.
    assert (await submit(alice)).status_code == 201

    with redis_commands(request_runtime, monkeypatch) as sent:
        again = await submit(alice)

    assert again.status_code == 201, again.text
    assert sent == ["MGET", "EVALSHA"]


async def test_a_submission_is_logged_for_export_with_its_pending_event(
    submit: Submit, alice: User, request_runtime: RequestRuntime
) -> None:
    ids = [uuid.UUID((await submit(alice, key=key)).json()["id"]) for key in (None, "k-1")]

    async with request_runtime.unit_of_work() as uow:
        session = uow.session
        versions = await session.scalars(select(Request.version).where(Request.id.in_(ids)))
        events = await session.execute(
            select(RequestEvent.request_id, RequestEvent.status).where(
                RequestEvent.request_id.in_(ids)
            )
        )
        logged = await session.execute(
            select(ChangeLog.stream, ChangeLog.record_type, ChangeLog.record_id).where(
                ChangeLog.record_id.in_(ids)
            )
        )
    assert sorted(versions.all()) == [1, 1]
    assert sorted(events.all()) == sorted((i, RequestStatus.PENDING) for i in ids)
    assert sorted(logged.all()) == sorted(("requests", "request", i) for i in ids)


async def test_priority_defaults_to_five_and_stays_within_0_to_9(
    submit: Submit, alice: User
) -> None:
    assert (await submit(alice)).json()["priority"] == 5
    assert (await submit(alice, priority=10)).status_code == 422


async def test_an_unknown_request_type_or_bad_parameters_are_refused_and_nothing_stored(
    submit: Submit, alice: User
) -> None:
    unknown = await submit(alice, request_type="nope")
    broken = await submit(alice, parameters={"city": 3})

    assert (unknown.status_code, unknown.json()["code"]) == (422, "invalid.request_type")
    assert (broken.status_code, broken.json()["code"]) == (422, "invalid.parameters")


async def test_parameters_over_the_size_setting_are_refused(submit: Submit, alice: User) -> None:
    answer = await submit(alice, parameters={"city": "x" * 70_000})

    assert (answer.status_code, answer.json()["code"]) == (422, "invalid.parameters_size")


async def test_a_retry_with_the_same_key_and_body_returns_the_first_request(
    submit: Submit, alice: User
) -> None:
    first = await submit(alice, key="k-1")
    again = await submit(alice, key="k-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Location"] == first.headers["Location"]


async def test_the_same_key_with_another_body_is_a_conflict(submit: Submit, alice: User) -> None:
    await submit(alice, key="k-1")
    other = await submit(alice, key="k-1", priority=1)

    assert (other.status_code, other.json()["code"]) == (409, "conflict.idempotency_key")


async def test_racing_retries_with_one_key_store_one_request(submit: Submit, alice: User) -> None:
    answers = await asyncio.gather(*(submit(alice, key="k-race") for _ in range(5)))

    assert sorted(answer.status_code for answer in answers) == [200] * 4 + [201]
    assert len({answer.json()["id"] for answer in answers}) == 1


async def test_the_old_field_name_is_refused_naming_the_new_one(
    alice: User, request_client: httpx.AsyncClient, auth: Callable[[User], Headers]
) -> None:
    body = {"kind": "weather", "parameters": {"city": "Oslo"}}
    old_body = await request_client.post("/requests", json=body, headers=auth(alice))
    both = await request_client.post(
        "/requests", json=body | {"request_type": "weather"}, headers=auth(alice)
    )
    old_filter = await request_client.get("/requests?kind=weather", headers=auth(alice))
    listed = await request_client.get("/requests", headers=auth(alice))

    for refused in (old_body, both, old_filter):
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "invalid.request"
        assert "`kind` is now called `request_type`" in refused.json()["detail"]
    assert listed.json()["items"] == []


async def test_a_key_used_before_the_rename_still_replays_its_request(
    submit: Submit, alice: User, request_runtime: RequestRuntime
) -> None:
    # The hash as it was stored while the field was called `kind`.
    old_body = {"kind": "weather", "parameters": {"city": "Oslo"}, "priority": 5}
    digest = hashlib.sha256(
        json.dumps(old_body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    now = utcnow()
    stored = Request(
        id=uuid.uuid4(),
        owner_id=alice.id,
        request_type="weather",
        type_version=1,
        parameters={"city": "Oslo"},
        priority=5,
        status=RequestStatus.EXPORTED,
        idempotency_key="k-old",
        request_hash=digest,
        created_at=now,
        updated_at=now,
    )
    async with request_runtime.unit_of_work() as uow:
        uow.session.add(stored)

    replay = await submit(alice, key="k-old")

    assert (replay.status_code, replay.json()["id"]) == (200, str(stored.id)), replay.text
