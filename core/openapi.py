"""The OpenAPI description both networks publish, made truthful in one place.

FastAPI declares every 422 as its own `HTTPValidationError` and no other error, while the
apps answer every error with one body (`core.http.error_body`). Here each operation gets
that body for every error status it can answer, derived from what the route declares: a
request body can answer 400 (bad JSON), 413 and 422; any parameter 422; a path parameter
404; credentials 401; a dependency marked with `declare_errors` its statuses (403 for a
role or scope check). What no declaration shows (a 409 of a service, a 429 of a limit) the
route lists in its `responses=`; its description stays and the body becomes the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

ERROR_SCHEMA = "Error"
FASTAPI_422 = "Validation Error"
"""FastAPI's own description of the 422 it declares: replaced by ours."""
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
_ERRORS_ATTRIBUTE = "__airlock_errors__"
_SECURITY_ATTRIBUTE = "__airlock_security__"
DependencyT = TypeVar("DependencyT", bound=Callable[..., Any])


class ValidationIssue(BaseModel):
    """One failing field of a 422 `invalid.request`."""

    loc: list[str | int] = Field(
        description="Where: `body`, `query`, `path` or `header`, then the field's path"
    )
    msg: str
    type: str = Field(description="Pydantic's error type, e.g. `missing`, `string_too_long`")


class Error(BaseModel):
    """Every error answer of both networks: a stable dotted `code` to branch on and a
    `detail` for humans; some errors add keys that say more (listed, and possibly others)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"example": {"code": "not_found.request", "detail": "no such request"}},
    )

    code: str = Field(description="Stable and dotted: `not_found.request`, `rate_limited.login`")
    detail: str = Field(description="What went wrong, for humans; may change between releases")
    field: str | SkipJsonSchema[None] = Field(
        default=None, description="The input field at fault, where one is"
    )
    errors: list[ValidationIssue] | SkipJsonSchema[None] = Field(
        default=None, description="422 `invalid.request`: every failing field"
    )
    status: str | SkipJsonSchema[None] = Field(
        default=None, description="409s about a request: the status it has"
    )
    window: str | SkipJsonSchema[None] = Field(
        default=None, description="429 `rate_limited`: the window that refused"
    )
    request_type: str | SkipJsonSchema[None] = Field(
        default=None, description="429 `rate_limited`: the request type whose limit refused"
    )


DESCRIPTIONS = {
    400: "Malformed request: the body is not JSON (`invalid.json`)",
    401: "No credentials, or bad ones (`unauthorized.*`); see `WWW-Authenticate`",
    403: "The caller's role or API key scope does not reach this (`forbidden.role`, "
    "`forbidden.scope`)",
    404: "Nothing with that id, or not yours (`not_found.*`)",
    409: "Conflicts with the current state (`conflict.*`)",
    413: "The body is over the network's `MAX_BODY_BYTES` (`payload_too_large`)",
    422: "A parameter or the body is not valid (`invalid.request` with `errors`, or a "
    "domain check's `invalid.*`)",
    429: "Too many requests (`rate_limited.*`); see `Retry-After`",
}
_STRING = {"type": "string"}
_INTEGER = {"type": "integer"}
HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "`Bearer`: send a token or an API key",
            "required": True,
            "schema": _STRING,
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again",
            "required": True,
            "schema": _INTEGER,
        }
    },
}
RATE_LIMIT_HEADERS: dict[str, Any] = {
    "RateLimit-Policy": {"description": "Every window that applies", "schema": _STRING},
    "RateLimit": {"description": "The tightest window: remaining and reset", "schema": _STRING},
    "RateLimit-Limit": {"description": "The tightest window's limit", "schema": _INTEGER},
    "RateLimit-Remaining": {"description": "What the tightest window has left", "schema": _INTEGER},
    "RateLimit-Reset": {"description": "Seconds until it frees one more", "schema": _INTEGER},
    "X-RateLimit-Warning": {"description": "Soft limits passed", "schema": _STRING},
}
"""What a rate-limited route sends (`core.ratelimit.RateDecision.headers`): its routes name
these in their `responses=` for success and for 429."""


def rate_limited(description: str, *, with_windows: bool = False) -> dict[str, Any]:
    """A route's 429 declaration: `Retry-After`, and the `RateLimit*` headers with windows."""
    headers = HEADERS[429] | (RATE_LIMIT_HEADERS if with_windows else {})
    return {"description": description, "headers": headers}


def declare_errors(target: DependencyT, *statuses: int) -> DependencyT:
    """Mark a dependency (or an endpoint) with the error statuses it may answer, so every
    route that takes it declares them."""
    setattr(target, _ERRORS_ATTRIBUTE, frozenset(statuses) | declared_errors(target))
    return target


def declared_errors(target: Callable[..., Any]) -> frozenset[int]:
    found: frozenset[int] = getattr(target, _ERRORS_ATTRIBUTE, frozenset())
    return found


def declare_security(target: DependencyT, requirements: list[dict[str, list[str]]]) -> DependencyT:
    """Mark a dependency that accepts fewer of the ways in than the credentials it reads
    offer (a login token only): the routes that take it declare `requirements` instead."""
    setattr(target, _SECURITY_ATTRIBUTE, requirements)
    return target


def operation_id(route: APIRoute) -> str:
    """The endpoint's function name (`submit_request`): readable in generated clients and
    stable while the function keeps its name; unique per app (a test checks)."""
    return route.endpoint.__name__


def api_router(**options: Any) -> APIRouter:
    """An `APIRouter` whose routes take their ids from `operation_id` as they are declared,
    so that an app can add them as they are (`core.app.add_routes`)."""
    return APIRouter(generate_unique_id_function=operation_id, **options)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


@dataclass
class _Declared:
    statuses: set[int] = field(default_factory=set)
    security: list[dict[str, list[str]]] | None = None


def _declarations(app: FastAPI) -> dict[tuple[str, str], _Declared]:
    """(path, method) -> what the route's endpoint and dependencies declare."""
    found: dict[tuple[str, str], _Declared] = {}
    for route in iter_route_contexts(app.routes):
        if route.path is None or route.endpoint is None or not route.include_in_schema:
            continue
        declared = _Declared()
        for call in (route.endpoint, *_calls(route.dependant)):
            declared.statuses |= declared_errors(call)
            declared.security = getattr(call, _SECURITY_ATTRIBUTE, declared.security)
        for method in route.methods or ():
            found[(route.path, method.lower())] = declared
    return found


def _derived(operation: dict[str, Any]) -> set[int]:
    statuses: set[int] = set()
    parameters = operation.get("parameters", [])
    if "requestBody" in operation:
        statuses |= {413, 422}
        if "application/json" in operation["requestBody"].get("content", {}):
            statuses.add(400)
    if parameters:
        statuses.add(422)
    if any(parameter["in"] == "path" for parameter in parameters):
        statuses.add(404)
    if operation.get("security"):
        statuses.add(401)
    return statuses


def _describe(operation: dict[str, Any], statuses: Iterable[int]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in statuses:
        responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
    for key, response in responses.items():
        if not key.isdigit() or int(key) < 400:
            continue
        code = int(key)
        if response.get("description") in (None, FASTAPI_422):
            response["description"] = DESCRIPTIONS.get(code, "Error")
        response["content"] = {"application/json": {"schema": ERROR_REF}}
        if code in HEADERS:
            response["headers"] = HEADERS[code] | response.get("headers", {})


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _model_examples() -> dict[str, list[list[Any]]]:
    """The examples each model declares (`json_schema_extra`), by model name."""
    found: dict[str, list[list[Any]]] = {}
    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        for model in pending.pop().__subclasses__():
            pending.append(model)
            extra = model.model_config.get("json_schema_extra")
            examples = extra.get("examples") if isinstance(extra, dict) else None
            if isinstance(examples, list):
                found.setdefault(model.__name__, []).append(examples)
    return found


def _restore_null_examples(schemas: dict[str, Any]) -> None:
    """FastAPI writes its spec without any null (`exclude_none`), which drops the nulls of the
    models' examples too and leaves required fields missing: put each model's own back. A
    model is matched by name and by its examples, nulls aside (two networks share names)."""
    declared = _model_examples()
    for name, schema in schemas.items():
        for examples in declared.get(name, []):
            if schema.get("examples") == _without_nulls(examples):
                schema["examples"] = examples
                break


def describe(app: FastAPI, spec: dict[str, Any]) -> None:
    """Declare every error each operation can answer, with the one error model (in place)."""
    declarations = _declarations(app)
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            declared = declarations.get((path, method), _Declared())
            if declared.security is not None:
                operation["security"] = declared.security
            _describe(operation, sorted(_derived(operation) | declared.statuses))
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    error = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    for optional in error["properties"].values():
        optional.pop("default", None)  # absent, never null: no default to state
    schemas.update(error.pop("$defs", {}))
    schemas[ERROR_SCHEMA] = error
    _restore_null_examples(schemas)


def install_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` (and `/openapi.json`) the described spec."""
    generate = app.openapi
    described: list[int] = []

    def openapi() -> dict[str, Any]:
        spec = generate()
        # FastAPI hands back its cached spec until the routes change: describe each once.
        if id(spec) not in described:
            describe(app, spec)
            described[:] = [id(spec)]
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def render(app: FastAPI) -> str:
    """The spec as committed under `docs/openapi/`: sorted keys, two-space indent."""
    return (
        orjson.dumps(app.openapi(), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode()
        + "\n"
    )
