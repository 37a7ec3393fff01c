"""Schemathesis's requests, sent in process to an app of the suite's fixtures.

Schemathesis sends through a `requests.Session`; its own ASGI transport starts the app
(lifespan included) in a new event loop for every call, while the fixtures' app, database
engine and Redis client live in the session's loop. This adapter runs each request there,
through the same `httpx.ASGITransport` client the other tests use.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import httpx
import requests
from hypothesis import HealthCheck, seed, settings
from requests.adapters import BaseAdapter, HTTPAdapter
from schemathesis import BaseSchema, Case, Response
from schemathesis.core.failures import FailureGroup
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.openapi.checks import RejectedPositiveData
from urllib3 import HTTPHeaderDict, HTTPResponse

from core.deps import api_key_scheme
from tests.response_network.identity import bearer
from tests.security.routes import PUBLIC

BASE_URL = "http://testserver"

EXAMPLES = 10
"""Per operation, for the phase that draws at random (fuzzing); coverage makes its own."""

# The app, its database and the tokens are made once per operation and serve all its
# examples (Hypothesis would warn that a function-scoped fixture is not reset between them).
# No deadline: the machine is shared, and a slow example is not a wrong one.
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The same cases on every run (a seed per test): the suite must not turn red by chance;
    # a wider search is `pytest ... --hypothesis-seed=N` with this removed, not a CI gamble.
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


STATEFUL_SETTINGS = settings(
    SETTINGS,
    max_examples=EXAMPLES,
    # Room for a chain after the calls that start nothing: with 6, 9 seeds of 40 never
    # followed a submission to both its read and its cancel; with 10, all 40 did.
    stateful_step_count=10,
)
"""The stateful phase: as many scenarios as fuzzed cases per operation, up to 10 calls each."""

STATEFUL_SEED = 0
"""Which scenarios the stateful phase draws; each of the 30 to 40 seeds tried reached what
both networks' chains assert (docs/api.md)."""


class InProcessAdapter(BaseAdapter):
    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.client = client
        self.loop = loop
        self._build = HTTPAdapter()

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        assert request.method is not None
        assert request.url is not None
        body = request.body.encode() if isinstance(request.body, str) else request.body
        assert body is None or isinstance(body, bytes)  # requests prepared it whole
        headers_sent = {
            name: value if isinstance(value, str) else value.decode("latin-1")
            for name, value in request.headers.items()
        }
        answer = self.loop.run_until_complete(
            self.client.request(request.method, request.url, headers=headers_sent, content=body)
        )
        headers = HTTPHeaderDict()
        for name, value in answer.headers.multi_items():
            headers.add(name, value)
        raw = HTTPResponse(
            body=BytesIO(answer.content),
            headers=headers,
            status=answer.status_code,
            reason=answer.reason_phrase,
            version=11,
            preload_content=False,
            decode_content=False,
        )
        return self._build.build_response(request, raw)

    def close(self) -> None:
        self._build.close()


@contextmanager
def in_process_session(
    client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop
) -> Iterator[requests.Session]:
    """A session that sends `BASE_URL` to `client`; so does every other `requests` session
    meanwhile, since some checks resend a case on a session of their own (`ignored_auth`
    drops the caller's)."""
    adapter = InProcessAdapter(client, loop)
    original = requests.Session.get_adapter

    def get_adapter(self: requests.Session, url: str) -> BaseAdapter:
        return adapter if url.startswith(BASE_URL) else original(self, url)

    requests.Session.get_adapter = get_adapter  # type: ignore[method-assign]
    try:
        with requests.Session() as session:
            yield session
    finally:
        requests.Session.get_adapter = original  # type: ignore[method-assign]
        adapter.close()


@dataclass
class Api:
    session: requests.Session
    tokens: dict[str, str]
    """A login token per role."""
    keys: dict[str, str]
    """An API key (without scopes) per role."""
    roles: dict[tuple[str, str], str]
    """(method, path template) -> the least role that reaches it (absent: public)."""

    def credentials(self, case: Case[Any]) -> dict[str, str]:
        """The key where the route takes one, else the token (the session routes).

        A key in `X-API-Key` rather than a bearer token wherever both are accepted:
        Schemathesis reads `apiKey` schemes but not OAuth2 ones, so it is with the key that
        its `ignored_auth` and `missing_required_header` checks see the route's credentials
        (and, removing them, expect the 401 the route answers).
        """
        # The operation's method: the coverage phase also sends ones it does not declare.
        operation = case.operation
        role = self.roles.get((operation.method.upper(), operation.path), PUBLIC)
        if role == PUBLIC:
            return {}
        ways_in = {
            name for option in case.operation.definition.raw.get("security", []) for name in option
        }
        if api_key_scheme.scheme_name in ways_in:
            return {api_key_scheme.model.name: self.keys[role]}
        return bearer(self.tokens[role])

    def call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
        """How to send `case`: through the in-process session, as the least role it needs."""
        return {"session": self.session, "base_url": BASE_URL, "headers": self.credentials(case)}

    def check(self, case: Case[Any]) -> None:
        """Call and run every default check; fail on any failure not excused below."""
        kwargs = self.call_kwargs(case)
        self.validate(case, case.call(**kwargs), kwargs)

    def validate(
        self,
        case: Case[Any],
        response: Response,
        kwargs: dict[str, Any],
        recorder: ScenarioRecorder | None = None,
    ) -> None:
        """Every default check on `response`; fail on any failure not excused below."""
        try:
            case.validate_response(
                response, headers=kwargs["headers"], transport_kwargs=kwargs, recorder=recorder
            )
        except FailureGroup as group:
            left = [failure for failure in group.exceptions if not excused(case, response, failure)]
            if left:
                raise FailureGroup(left, str(group)) from None


def run_chains(
    schema: BaseSchema, api: Api, *, before_call: Callable[[Case[Any]], None] | None = None
) -> Counter[tuple[str, int]]:
    """Schemathesis's stateful phase: scenarios along the links it infers from `schema`, each
    step sent and checked as `Api.check` does, after `before_call` (if any) shaped its case,
    with the cross-step checks (`use_after_free`, `ensure_resource_availability`) reading the
    scenario's recorder as Schemathesis's own runner does. Returns how often each route
    (`POST /requests`) answered each status, for the caller to assert that the chains reached
    what they created."""
    answered: Counter[tuple[str, int]] = Counter()

    # Seeded, not derandomized: Hypothesis derives a state machine's derandomized seed from the
    # source of its class, so any edit below would draw other scenarios.
    @seed(STATEFUL_SEED)
    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Case[Any]) -> None:
            if before_call is not None:
                before_call(case)

        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return api.call_kwargs(case)

        def after_call(self, response: Response, case: Case[Any]) -> None:
            super().after_call(response, case)  # records the response for the checks
            answered[(f"{case.method} {case.path}", response.status_code)] += 1

        def validate_response(
            self, response: Response, case: Case[Any], additional_checks: Any = None, **kwargs: Any
        ) -> None:
            api.validate(case, response, kwargs, recorder=self.recorder)

    Workflow.run(settings=STATEFUL_SETTINGS)
    return answered


DOMAIN_REFUSALS = {
    "invalid.cursor": "a cursor is opaque: valid only if this API made it",
    "invalid.request_type": "a request type the catalog does not hold",
    "invalid.profile": "a profile the catalog does not hold (a user's `profile`)",
    "invalid.password": "the password policy: not blank, not the username or the email",
    "invalid.expires_at": "must lie in the future: the clock, not the schema, decides",
    "invalid.parameter_schema": "a JSON Schema the handlers can run, more than its own shape",
    "invalid.handler": "a handler this network has installed: plug-ins, not in the schema",
    "invalid.handler_settings": "what the type's handler takes: each plug-in its own settings",
    "invalid.parameters": "a request type's own parameter schema, held in the catalog",
    "invalid.time_range": "`from` not after `to`: a relation between two fields",
}
"""422s that the API is right to answer for schema-valid input: rules that depend on data or
on the clock, which no JSON Schema can state. `positive_data_acceptance` is excused for these
codes only, and for `invalid.request` raised by a field's own validator (`value_error`, such
as the email address check), never for a 422 the schema should have prevented."""


def excused(case: Case[Any], response: Response, failure: Exception) -> bool:
    if isinstance(failure, RejectedPositiveData) and response.status_code == 422:
        body = response.json()
        if body.get("code") in DOMAIN_REFUSALS:
            return True
        errors = body.get("errors") or []
        return body.get("code") == "invalid.request" and all(
            error.get("type") == "value_error" for error in errors
        )
    return False
