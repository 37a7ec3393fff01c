"""Submission rate limits from the profile and the user's overrides, exact under races."""

from __future__ import annotations

import asyncio

from request_network.runtime import RequestRuntime
from request_network.users.models import User
from tests.request_network.conftest import ReplicaUserFactory
from tests.request_network.requests.conftest import Submit


async def test_fifty_racing_submissions_admit_exactly_the_hard_limit(
    submit: Submit, alice: User
) -> None:
    answers = await asyncio.gather(
        *(submit(alice, parameters={"city": f"c{i}"}) for i in range(50))
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 20 + [429] * 30


async def test_past_soft_the_answer_warns_and_names_the_window(submit: Submit, alice: User) -> None:
    quiet = [await submit(alice) for _ in range(3)]
    warned = await submit(alice)

    assert all("X-RateLimit-Warning" not in answer.headers for answer in quiet)
    assert warned.status_code == 201
    assert warned.headers["X-RateLimit-Warning"] == "minute"


async def test_every_answer_carries_the_ratelimit_headers(submit: Submit, alice: User) -> None:
    answer = await submit(alice)

    assert answer.headers["RateLimit-Policy"] == '"minute";q=20;w=60, "day";q=1000;w=86400'
    assert answer.headers["RateLimit"] == '"minute";r=19;t=60'
    assert (answer.headers["RateLimit-Limit"], answer.headers["RateLimit-Remaining"]) == (
        "20",
        "19",
    )
    # With room left, the reset is when the minute frees the submission just counted.
    assert answer.headers["RateLimit-Reset"] == "60"


async def test_past_hard_the_answer_is_429_with_retry_after(
    submit: Submit, replica_user: ReplicaUserFactory, weather: None, request_runtime: RequestRuntime
) -> None:
    user = await replica_user("bob")
    async with request_runtime.unit_of_work() as uow:
        row = await uow.session.get(User, user.id)
        assert row is not None
        row.limit_overrides = {"per_minute": 2}
    admitted = [await submit(user) for _ in range(2)]
    refused = await submit(user)

    assert [answer.status_code for answer in admitted] == [201, 201]
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit"].startswith('"minute";r=0;t=')
    assert refused.headers["RateLimit-Remaining"] == "0"
