"""Submissions crafted to make the schema check slow, or schemas crafted to make it reach out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

import httpx
import pytest

from request_network.runtime import RequestRuntime
from request_network.users.models import User
from shared.parameters import parameter_bytes
from tests.request_network.catalog.test_submissions import replica_type
from tests.request_network.conftest import ReplicaUserFactory
from tests.request_network.requests.conftest import Submit
from tests.waiting import scaled

T = TypeVar("T")

UNIQUE_BAG = {"type": "object", "properties": {"xs": {"type": "array", "uniqueItems": True}}}
BACKTRACKING = {
    "type": "object",
    "properties": {"word": {"type": "string", "pattern": "^(a+)+$"}},
}
HOSTILE = {
    "self-reference": {"type": "object", "$ref": "#"},
    "local-file": {"$ref": "file:///etc/passwd"},
    "remote": {"type": "object", "properties": {"a": {"$ref": "http://127.0.0.1:9/x.json"}}},
    "backreference": {"type": "object", "properties": {"a": {"pattern": "(a)\\1"}}},
}
"""Schemas the response network now refuses, as an old or hostile catalog could still hold."""


@pytest.fixture
async def crafted(request_runtime: RequestRuntime, weather: None) -> None:
    async with request_runtime.unit_of_work() as uow:
        uow.session.add_all(
            [
                replica_type("bag", parameter_schema=UNIQUE_BAG),
                replica_type("word", parameter_schema=BACKTRACKING),
                *(replica_type(name, parameter_schema=item) for name, item in HOSTILE.items()),
            ]
        )


async def timed(call: Awaitable[T]) -> tuple[T, float]:
    started = time.perf_counter()
    answer = await call
    return answer, time.perf_counter() - started


async def test_a_unique_items_bomb_is_answered_at_once_and_health_stays_prompt(
    request_client: httpx.AsyncClient, submit: Submit, alice: User, crafted: None
) -> None:
    """1,500 distinct small objects under `uniqueItems`: quadratic in jsonschema (6 s)."""
    parameters = {"xs": [{"n": i} for i in range(1500)]}
    assert 14_000 < parameter_bytes(parameters) < 16_384
    # The process's first submission opens its pools and broker connection: not measured here.
    assert (await submit(alice)).status_code == 201
    submission = asyncio.create_task(
        timed(submit(alice, request_type="bag", parameters=parameters))
    )
    probes: list[float] = []
    while not submission.done():
        # A probe every 10 ms, each timed from when it was due: a blocked event loop shows
        # as one probe that waited as long as the block.
        due = time.perf_counter()
        await asyncio.wait({submission}, timeout=0.01)
        answer = await request_client.get("/health")
        assert answer.status_code == 200
        probes.append(time.perf_counter() - due)
    submitted, took = await submission

    print(
        f"uniqueItems bomb: answered in {took * 1000:.1f} ms; slowest /health probe "
        f"{max(probes) * 1000:.1f} ms of {len(probes)}"
    )
    assert submitted.status_code == 201, submitted.text
    # About 10 ms alone; the bound is 3 s (scaled): half what the quadratic check takes, and
    # room for a loaded machine, where a starved worker once took 1.1 s for both.
    assert took < scaled(3)
    assert max(probes) < scaled(3)


@pytest.mark.timeout(60)
async def test_a_backtracking_pattern_is_refused_at_once(
    submit: Submit, alice: User, crafted: None
) -> None:
    answer, took = await timed(
        submit(alice, request_type="word", parameters={"word": "a" * 40 + "!"})
    )

    assert (answer.status_code, answer.json()["field"]) == (422, "parameters.word")
    # A backtracking engine takes about 2^40 steps here (hours): a generous bound still tells
    # it apart, and a loaded machine's second does not fail the run (it once took 1.03 s).
    assert took < scaled(10)


@pytest.mark.parametrize("request_type", sorted(HOSTILE))
async def test_a_replica_holding_an_unsafe_schema_refuses_without_reaching_out(
    submit: Submit, alice: User, crafted: None, request_type: str
) -> None:
    answer = await submit(alice, request_type=request_type, parameters={"a": "aa"})

    assert (answer.status_code, answer.json()["code"]) == (422, "invalid.parameter_schema")


async def test_refused_submissions_count_against_the_rate_limit(
    submit: Submit, replica_user: ReplicaUserFactory, weather: None, request_runtime: RequestRuntime
) -> None:
    user = await replica_user("mallory")
    async with request_runtime.unit_of_work() as uow:
        row = await uow.session.get(User, user.id)
        assert row is not None
        row.limit_overrides = {"per_minute": 3}
    refused = [await submit(user, parameters={"city": 3}) for _ in range(3)]
    valid = await submit(user)

    assert [answer.status_code for answer in refused] == [422, 422, 422]
    assert refused[-1].headers["RateLimit-Remaining"] == "0"
    assert (valid.status_code, valid.json()["code"]) == (429, "rate_limited")
