"""Schemathesis against the response network's app, in process, on its published description.

Every operation of `docs/openapi/response-network.json` is one test (so xdist spreads them),
sent with a token of the least role its route needs (`test_route_roles.py`'s table) through
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
from tests.in_process import SETTINGS, Api, in_process_session
from tests.response_network.conftest import UserFactory
from tests.response_network.test_route_roles import RESPONSE_ROUTES

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
