"""Console sessions on the response network, over the queue the request tests build."""

from __future__ import annotations

import httpx
import pytest

from response_network.users.models import Role, User
from tests.request_network.console.conftest import log_in
from tests.response_network.auth.conftest import client_with  # noqa: F401 - changed settings
from tests.response_network.conftest import UserFactory
from tests.response_network.identity import PASSWORD
from tests.response_network.requests.conftest import (  # noqa: F401 - the queue's fixtures
    handlers,
    master,
    operator,
    types,
)


async def signed_in_as(client: httpx.AsyncClient, username: str) -> httpx.AsyncClient:
    client.cookies.clear()
    response = await log_in(client, username, PASSWORD)
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
async def plain_user(make_user: UserFactory) -> User:
    return await make_user("paula", role=Role.USER)


@pytest.fixture
async def admin_user(make_user: UserFactory) -> User:
    return await make_user("ada", role=Role.ADMIN)


@pytest.fixture(params=["production"])
def backend(request: pytest.FixtureRequest) -> str:
    """Pages on PostgreSQL + Redis only: they shape what the services answer, and those are
    tested on both backends; the browser stories run the consoles embedded."""
    return str(request.param)
