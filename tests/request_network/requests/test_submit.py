"""Submitting a request: checked locally, stored `pending`, idempotent on a key."""

from __future__ import annotations

import asyncio

from request_network.users.models import User
from tests.request_network.requests.conftest import Submit


async def test_a_submission_is_stored_pending_with_its_location(
    submit: Submit, alice: User
) -> None:
    answer = await submit(alice, priority=7)

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert answer.headers["Location"] == f"/requests/{body['id']}"
    assert (body["kind"], body["priority"], body["status"]) == ("weather", 7, "pending")
    assert (body["owner_id"], body["type_version"]) == (str(alice.id), 1)


async def test_priority_defaults_to_five_and_stays_within_0_to_9(
    submit: Submit, alice: User
) -> None:
    assert (await submit(alice)).json()["priority"] == 5
    assert (await submit(alice, priority=10)).status_code == 422


async def test_an_unknown_kind_or_bad_parameters_are_refused_and_nothing_stored(
    submit: Submit, alice: User
) -> None:
    unknown = await submit(alice, kind="nope")
    broken = await submit(alice, parameters={"city": 3})

    assert (unknown.status_code, unknown.json()["code"]) == (422, "invalid.kind")
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
