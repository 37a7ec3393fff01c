"""Redis down on the request network (production): answers are read from the database,
submissions follow `rate_limit_fail_open`, logged-out tokens stay refused, nothing is a 500,
and all of it comes back when the same redis-server starts again on its port."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from core.security import TokenIssuer
from request_network.app import create_app
from request_network.requests.models import RequestStatus
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.users.models import User
from tests.request_network.catalog.test_submissions import replica_profile, replica_type
from tests.request_network.conftest import PASSWORD, ReplicaUserFactory
from tests.request_network.replica import insert_api_key
from tests.request_network.responses.conftest import (
    ApplyResponses,
    insert_request,
    response,
    stored_request,
)
from tests.services import RedisProcess, RedisServer, run_redis_process

SUBMISSION = {"request_type": "weather", "parameters": {"city": "Oslo"}}


@pytest.fixture
def backend() -> str:
    return "production"


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    """A redis-server of this test's own, to stop and start again."""
    with run_redis_process() as redis:
        yield redis


@pytest.fixture
def redis_server(redis_process: RedisProcess) -> RedisServer:
    return redis_process.server


@pytest.fixture
async def alice(request_runtime: RequestRuntime, replica_user: ReplicaUserFactory) -> User:
    async with request_runtime.unit_of_work() as uow:
        uow.session.add_all(
            [
                replica_type("weather"),
                replica_profile(allow_all=True, limits={"minute": {"hard": 100}}),
            ]
        )
    return await replica_user("alice")


async def test_reads_fall_back_to_the_database_and_everything_returns_with_redis(
    request_runtime: RequestRuntime,
    request_client: httpx.AsyncClient,
    request_tokens: TokenIssuer,
    apply_responses: ApplyResponses,
    redis_process: RedisProcess,
    alice: User,
) -> None:
    key = {"X-API-Key": await insert_api_key(request_runtime, alice)}
    token = {"Authorization": f"Bearer {request_tokens.issue(str(alice.id))[0]}"}
    request_id = await insert_request(request_runtime, alice)
    await apply_responses(response(request_id, body={"temperature": 21}))
    answer = f"/requests/{request_id}/response"

    redis_process.stop()
    ready = await request_client.get("/health/ready")
    read = await request_client.get(answer, headers=key)
    # A logged-out token cannot be told from a live one without Redis: refused, not trusted.
    with_token = await request_client.get(answer, headers=token)
    submitted = await request_client.post("/requests", json=SUBMISSION, headers=key)
    login = await request_client.post(
        "/auth/token", data={"username": "alice", "password": PASSWORD}
    )

    assert (ready.status_code, ready.json()["detail"]) == (503, "not ready: redis")
    assert ready.json()["checks"]["database"] == "ok"
    assert (read.status_code, read.headers["X-Cache"]) == (200, "miss")
    assert read.json()["body"] == {"temperature": 21}
    assert (await stored_request(request_runtime, request_id)).status == RequestStatus.DELIVERED
    assert (with_token.status_code, with_token.json()["code"]) == (503, "unavailable.cache")
    assert (submitted.status_code, submitted.json()["code"]) == (503, "unavailable.rate_limit")
    assert submitted.headers["Retry-After"] == "5"
    assert login.status_code == 503

    redis_process.start()
    assert (await request_client.get("/health/ready")).status_code == 200
    assert (await request_client.get(answer, headers=token)).headers["X-Cache"] == "miss"
    assert (await request_client.get(answer, headers=token)).headers["X-Cache"] == "hit"
    assert (await request_client.post("/requests", json=SUBMISSION, headers=key)).status_code == 201


async def test_failing_open_admits_submissions_uncounted_while_redis_is_down(
    request_runtime: RequestRuntime,
    request_settings: RequestSettings,
    redis_process: RedisProcess,
    alice: User,
) -> None:
    key = {"X-API-Key": await insert_api_key(request_runtime, alice)}
    settings = request_settings.model_copy(update={"rate_limit_fail_open": True})
    app = create_app(settings, request_runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        redis_process.stop()
        # The export the submission enqueues cannot reach the broker: logged, not answered.
        submitted = await client.post("/requests", json=SUBMISSION, headers=key)
        listed = await client.get("/requests", headers=key)

        assert submitted.status_code == 201
        assert "RateLimit" not in submitted.headers
        assert [item["id"] for item in listed.json()["items"]] == [submitted.json()["id"]]

        redis_process.start()
        counted = await client.post("/requests", json=SUBMISSION, headers=key)
        assert counted.headers["RateLimit-Remaining"] == "99"
