"""Redis down on the response network (production): 503s naming it, never a 500, and back
without a restart when the same redis-server starts again on its port."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from response_network.users.models import User
from tests.response_network.identity import login
from tests.services import RedisProcess, RedisServer, run_redis_process


@pytest.fixture
def backend() -> str:
    return "production"


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    with run_redis_process() as redis:
        yield redis


@pytest.fixture
def redis_server(redis_process: RedisProcess) -> RedisServer:
    return redis_process.server


async def test_redis_down_is_a_503_naming_it_then_everything_returns(
    response_client: httpx.AsyncClient,
    admin: User,
    admin_headers: dict[str, str],
    redis_process: RedisProcess,
) -> None:
    redis_process.stop()
    ready = await response_client.get("/health/ready")
    # The token's revocation and the login throttle live in Redis: both refuse, unchecked.
    users = await response_client.get("/admin/users", headers=admin_headers)
    logged_in = await login(response_client, admin.username)

    assert (ready.status_code, ready.json()["detail"]) == (503, "not ready: redis")
    assert (users.status_code, users.json()["code"]) == (503, "unavailable.cache")
    assert (logged_in.status_code, logged_in.json()["code"]) == (503, "unavailable.cache")

    redis_process.start()
    assert (await response_client.get("/health/ready")).status_code == 200
    assert (await response_client.get("/admin/users", headers=admin_headers)).status_code == 200
    assert (await login(response_client, admin.username)).status_code == 200
