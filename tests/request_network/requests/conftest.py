"""A catalog to submit against: the `weather` type open to the `default` profile."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from core.security import TokenIssuer
from request_network.runtime import RequestRuntime
from request_network.users.models import User
from tests.request_network.catalog.test_submissions import replica_profile, replica_type
from tests.request_network.conftest import ReplicaUserFactory

LIMITS = {"minute": {"soft": 3, "hard": 20}, "day": {"soft": 500, "hard": 1000}}

Headers = dict[str, str]
Submit = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
async def weather(request_runtime: RequestRuntime) -> None:
    async with request_runtime.unit_of_work() as uow:
        uow.session.add_all(
            [
                replica_type("weather"),
                replica_type("census"),
                replica_profile(allow_all=True, limits=LIMITS, max_parameter_bytes=1_000_000),
            ]
        )


@pytest.fixture
def auth(request_tokens: TokenIssuer) -> Callable[[User], Headers]:
    def headers(user: User) -> Headers:
        return {"Authorization": f"Bearer {request_tokens.issue(str(user.id))[0]}"}

    return headers


@pytest.fixture
async def alice(replica_user: ReplicaUserFactory, weather: None) -> User:
    return await replica_user("alice")


@pytest.fixture
def submit(request_client: httpx.AsyncClient, auth: Callable[[User], Headers]) -> Submit:
    async def post(
        user: User,
        *,
        request_type: str = "weather",
        parameters: dict[str, Any] | None = None,
        priority: int | None = None,
        key: str | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {
            "request_type": request_type,
            "parameters": parameters or {"city": "Oslo"},
        }
        if priority is not None:
            body["priority"] = priority
        headers = auth(user) | ({"Idempotency-Key": key} if key else {})
        return await request_client.post("/requests", json=body, headers=headers)

    return post
