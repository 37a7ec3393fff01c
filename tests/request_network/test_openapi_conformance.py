"""Schemathesis against the request network's app, in process, on its published description.

Every operation of `docs/openapi/request-network.json` is one test (so xdist spreads them),
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

from core.security import TokenIssuer
from request_network.runtime import RequestRuntime
from scripts.openapi import REQUEST_SPEC
from tests.in_process import SETTINGS, Api, in_process_session, run_chains
from tests.request_network.catalog.test_submissions import replica_profile, replica_type
from tests.request_network.conftest import ReplicaUserFactory
from tests.request_network.replica import insert_api_key
from tests.security.routes import ADMIN, OPERATOR, REQUEST_ROUTES, USER

# Not traced by coverage: these check the description against the answers, hundreds of
# calls per operation through the whole app; tracing them doubled their time.
pytestmark = pytest.mark.no_cover

SCHEMA = schemathesis.openapi.from_path(REQUEST_SPEC)


@pytest.fixture
def backend() -> str:
    """The description is the code's, the same on both backends: the embedded one is faster."""
    return "embedded"


@pytest.fixture
async def api(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    replica_user: ReplicaUserFactory,
    request_tokens: TokenIssuer,
) -> AsyncIterator[Api]:
    issued, keys = {}, {}
    for role in (USER, OPERATOR, ADMIN):
        user = await replica_user(f"as-{role}", role=role)
        issued[role] = request_tokens.issue(str(user.id))[0]
        keys[role] = await insert_api_key(request_runtime, user)
    with in_process_session(request_client, asyncio.get_running_loop()) as session:
        yield Api(session, issued, keys, REQUEST_ROUTES)


@SCHEMA.parametrize()
@SETTINGS
def test_answers_as_described(case: Case[Any], api: Api) -> None:
    api.check(case)


@pytest.fixture
async def open_catalog(request_runtime: RequestRuntime) -> None:
    """An echo type every profile may submit, without limits: submissions succeed, so the
    chains below reach a real request."""
    async with request_runtime.unit_of_work() as uow:
        uow.session.add(replica_profile("default", allow_all=True, max_parameter_bytes=4096))
        uow.session.add(replica_type("echo", parameter_schema={"type": "object"}))


def submit_echo(case: Case[Any]) -> None:
    """The one type of the catalog, where random text would be refused (422) every time; a
    case meant to break the schema is sent as drawn."""
    positive = case.meta is None or case.meta.generation.mode.is_positive
    submit = (case.method, case.path) == ("POST", "/requests")
    if submit and positive and isinstance(case.body, dict):
        case.body["request_type"] = "echo"


def test_chains_of_calls_answer_as_described(api: Api, open_catalog: None) -> None:
    """Schemathesis's stateful phase: the links it infers from the description (a submitted
    request's id into its read, answer and cancel; a user's id into the admin's user routes)
    chained into scenarios, every step checked as above."""
    answered = run_chains(SCHEMA, api, before_call=submit_echo)

    # The chains reached requests that exist: a link, not a guessed id, found them.
    assert answered[("POST /requests", 201)] > 0
    assert answered[("GET /requests/{request_id}", 200)] > 0
    assert answered[("POST /requests/{request_id}/cancel", 200)] > 0
