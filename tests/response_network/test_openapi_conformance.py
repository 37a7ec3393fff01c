"""Schemathesis against the response network's app, in process, on its published description.

Every operation of `docs/openapi/response-network.json` is one test (so xdist spreads them),
sent with a token of the least role its route needs (`tests/security/routes.py`) through
the examples, coverage and fuzzing phases, with every check Schemathesis runs by default;
a failure of any check fails the test. The app is the suite's fixture: a fresh database per
operation, shared by that operation's examples. `tests/in_process.py` says how it is called.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import Case

from core.audit import Actor
from core.security import TokenIssuer
from response_network.api_keys.schemas import ApiKeyCreate
from response_network.api_keys.service import create_api_key
from response_network.runtime import ResponseRuntime
from response_network.users.models import Role
from scripts.openapi import RESPONSE_SPEC
from tests.in_process import SETTINGS, Api, in_process_session, run_chains
from tests.response_network.conftest import UserFactory
from tests.security.routes import RESPONSE_ROUTES

# Not traced by coverage: these check the description against the answers, hundreds of
# calls per operation through the whole app; tracing them doubled their time.
pytestmark = pytest.mark.no_cover

SCHEMA = schemathesis.openapi.from_path(RESPONSE_SPEC)


@pytest.fixture
def backend() -> str:
    """The description is the code's, the same on both backends: the embedded one is faster."""
    return "embedded"


@pytest.fixture
async def api(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    make_user: UserFactory,
    tokens: TokenIssuer,
) -> AsyncIterator[Api]:
    issued, keys = {}, {}
    for role in (Role.USER, Role.OPERATOR, Role.ADMIN):
        user = await make_user(f"as-{role.value}", role=role)
        issued[role.value] = tokens.issue(str(user.id))[0]
        async with response_runtime.unit_of_work() as uow:
            key = await create_api_key(
                session=uow.session,
                owner=user,
                data=ApiKeyCreate(name="schemathesis"),
                actor=Actor(user.id, user.username, None),
            )
        keys[role.value] = key.secret
    with in_process_session(response_client, asyncio.get_running_loop()) as session:
        yield Api(session, issued, keys, RESPONSE_ROUTES)


@SCHEMA.parametrize()
@SETTINGS
def test_answers_as_described(case: Case[Any], api: Api) -> None:
    api.check(case)


async def test_method_not_allowed_names_every_method_of_the_path(
    response_client: httpx.AsyncClient,
) -> None:
    # One route per method at these paths: Starlette alone named only the first one's.
    listed = await response_client.request("PUT", "/admin/profiles")
    one = await response_client.request("PUT", "/admin/profiles/standard")
    assert (listed.status_code, listed.headers["Allow"]) == (405, "GET, POST")
    assert (one.status_code, one.headers["Allow"]) == (405, "DELETE, GET, PATCH")
    assert listed.json()["code"] == "method_not_allowed"


async def test_a_gap_sequence_past_64_bits_is_refused_not_a_server_error(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    answer = await response_client.post(
        f"/admin/transfer/gaps/requests/{2**63}/lost", headers=admin_headers
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid.request"


def test_chains_of_calls_answer_as_described(api: Api) -> None:
    """Schemathesis's stateful phase: scenarios along the links it infers from the description
    (a created user's, profile's or type's key into its read, edit and delete routes), every
    step checked as above."""
    answered = run_chains(SCHEMA, api)

    # The chains reached what they created: a route keyed by a path parameter answered 2xx,
    # which a guessed key would not (what is created first varies with the description).
    reached = [route for (route, status), n in answered.items() if "{" in route and status < 300]
    assert reached, sorted(answered.items())
