"""FastAPI plumbing shared by both apps: error model, request ids, body limits, health."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.cache import read_ahead_scope
from core.errors import UNAVAILABLE_RETRY_AFTER, AirlockError, RateLimited
from core.logging import request_log_context
from core.metrics import HttpMetrics, RateLimitMetrics, metrics_for
from core.openapi import api_router
from core.outages import is_outage

log = structlog.get_logger(__name__)

REQUEST_ID_HEADER = "x-request-id"

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "detail": detail, **extra}


async def _airlock_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AirlockError)
    if isinstance(exc, RateLimited):
        _count_rejection(request, exc)
    return JSONResponse(
        error_body(exc.code, exc.detail, **exc.extra),
        status_code=exc.status_code,
        headers=exc.headers,
    )


def _count_rejection(request: Request, exc: RateLimited) -> None:
    """Every limit (submissions, logins) refuses through here: count it by code and window."""
    runtime = getattr(request.app.state, "runtime", None)
    registry = getattr(runtime, "metrics_registry", None)
    if registry is not None:
        window = str(exc.extra.get("window") or "none")
        metrics_for(registry, RateLimitMetrics).rejections.labels(exc.code, window).inc()


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": list(error.get("loc", ())),
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    detail = f"{where}: {first['msg']}" if where else str(first["msg"])
    if errors and errors[0]["type"] == "json_invalid":
        return JSONResponse(
            error_body("invalid.json", f"request body is not valid JSON ({first['msg']})"),
            status_code=400,
        )
    return JSONResponse(error_body("invalid.request", detail, errors=errors), status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and exc.detail == "Not Found":
        code, detail = "not_found.route", "no such route"
    else:
        detail = str(exc.detail)
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return JSONResponse(error_body(code, detail), status_code=exc.status_code, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path. Starlette names only the first route
    that matched the path, and a path often has one route per method."""
    path = request.scope.get("path", "")
    allowed: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            allowed |= route.methods or set()
    return sorted(allowed)


async def _redis_down(_request: Request, exc: Exception) -> Response:
    # A dependency outage is not the caller's fault, nor a bug: 503 and a retry hint.
    log.warning("redis_unavailable", error=type(exc).__name__)
    return JSONResponse(
        error_body("unavailable.cache", "the cache is unreachable; retry shortly"),
        status_code=503,
        headers={"Retry-After": UNAVAILABLE_RETRY_AFTER},
    )


async def _database_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DBAPIError)
    # A lost connection, or a server shutting down or starting up: an outage. Anything
    # else is a query bug: the last-resort 500, logged with its trace.
    if not is_outage(exc):
        raise exc
    log.warning("database_unavailable", error=type(exc.orig).__name__)
    return JSONResponse(
        error_body("unavailable.database", "the database connection was lost; retry shortly"),
        status_code=503,
        headers={"Retry-After": UNAVAILABLE_RETRY_AFTER},
    )


async def _backend_down(_request: Request, exc: Exception) -> Response:
    # Refused or reset before any driver wrapped it (e.g. the database's first connect).
    log.warning("backend_unavailable", error=type(exc).__name__)
    return JSONResponse(
        error_body("unavailable.backend", "a service this network needs is unreachable"),
        status_code=503,
        headers={"Retry-After": UNAVAILABLE_RETRY_AFTER},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RedisConnectionError, _redis_down)
    app.add_exception_handler(RedisTimeoutError, _redis_down)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(ConnectionError, _backend_down)
    app.add_exception_handler(AirlockError, _airlock_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


AnswerObserver = Callable[[int], None]
"""Told each answer's final status, after it went out; must not raise or block."""


class RequestContextMiddleware:
    """Request id, access log, metrics, body size limit and the last-resort 500, in one pass.

    Written as plain ASGI so it sees unhandled exceptions with the request id still bound.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        metrics: HttpMetrics | None = None,
        observers: Sequence[AnswerObserver] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        # Called with each answer's final status: a hook here rather than another middleware
        # layer, which costs every call a wrapper of its own.
        self.observers = observers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = given if 0 < len(given) <= 128 and given.isprintable() else uuid.uuid4().hex
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        with (
            request_log_context(request_id),
            structlog.contextvars.bound_contextvars(),
            read_ahead_scope(),
        ):
            try:
                refusal, replay = await self._check_body(headers, receive)
                if refusal is not None:
                    status_code = 400 if refusal["code"] == "bad_request" else 413
                    await self._reply(send_wrapper, status_code, refusal, scope)
                else:
                    await self.app(scope, replay, send_wrapper)
            except Exception:
                log.exception("unhandled_error", path=scope.get("path"))
                if not response_started:
                    await self._reply(
                        send_wrapper,
                        500,
                        error_body("internal_error", "internal error", request_id=request_id),
                        scope,
                    )
            finally:
                elapsed = time.perf_counter() - started
                route = scope.get("route")
                template = getattr(route, "path", None) or "unmatched"
                for observer in self.observers:
                    observer(status)
                if self.metrics is not None:
                    self.metrics.observe(
                        route=template, method=scope["method"], status=status, seconds=elapsed
                    )
                # The route template, never the path or query: they may carry names and ids.
                log.info(
                    "http_request",
                    method=scope["method"],
                    route=template,
                    status=status,
                    latency_ms=round(elapsed * 1000, 2),
                )

    async def _check_body(
        self, headers: Mapping[bytes, bytes], receive: Receive
    ) -> tuple[dict[str, Any] | None, Receive]:
        """Refuse a body over the limit; returns the refusal or a receive that replays it."""
        detail = error_body(
            "payload_too_large", f"request body is larger than {self.max_body_bytes} bytes"
        )
        length = headers.get(b"content-length")
        if length is not None:
            try:
                return (detail if int(length) > self.max_body_bytes else None), receive
            except ValueError:
                return error_body("bad_request", "Content-Length is not a number"), receive
        if b"chunked" not in headers.get(b"transfer-encoding", b""):
            return None, receive
        # A chunked body has no declared length: read it up to the limit, then replay it.
        messages: list[Message] = []
        total = 0
        while True:
            message = await receive()
            messages.append(message)
            total += len(message.get("body", b""))
            if total > self.max_body_bytes:
                return detail, receive
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        return None, _replaying(receive, messages)

    @staticmethod
    async def _reply(send: Send, status: int, body: dict[str, Any], scope: Scope) -> None:
        page = _refusal_page(scope, status, body)
        if page is not None:
            await _send(send, status, b"text/html; charset=utf-8", page)
        else:
            await _send(send, status, b"application/json", orjson.dumps(body))


RefusalPage = Callable[[str, int, str], bytes | None]
"""page(path, status, detail): an HTML page for what this middleware answers itself (the body
limit's refusals, the last-resort 500) on `path`, or None for JSON. Apps that serve pages (the
console) list theirs in `app.state.refusal_pages`."""


def _refusal_page(scope: Scope, status: int, refusal: dict[str, Any]) -> bytes | None:
    app = scope.get("app")
    pages: list[RefusalPage] = getattr(getattr(app, "state", None), "refusal_pages", [])
    for page in pages:
        html = page(scope.get("path", ""), status, str(refusal["detail"]))
        if html is not None:
            return html
    return None


async def _send(send: Send, status: int, content_type: bytes, payload: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _replaying(receive: Receive, buffered: list[Message]) -> Receive:
    pending = list(buffered)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


HealthCheck = Callable[[], Awaitable[None]]
READY_EXAMPLE = {"status": "ok", "checks": {"database": "ok", "cache": "ok", "transfer_dir": "ok"}}


HEALTH_TIMEOUT = 5.0
"""Seconds each readiness check may take before it counts as failed."""


health_router = api_router(tags=["health"])
"""`/health` says the process lives; `/health/ready` checks every dependency its app's runtime
names. Declared once: `core.app.add_routes` adds them to each app."""


@health_router.get(
    "/health",
    operation_id="liveness",
    summary="Liveness: the process answers",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
async def live() -> dict[str, str]:
    return {"status": "ok"}


@health_router.get(
    "/health/ready",
    operation_id="readiness",
    summary="Readiness: database, cache and transfer directory",
    responses={200: {"content": {"application/json": {"example": READY_EXAMPLE}}}},
)
async def ready(request: Request) -> JSONResponse:
    checks: Mapping[str, HealthCheck] = request.app.state.runtime.readiness_checks()
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check(), HEALTH_TIMEOUT)
            results[name] = "ok"
        except Exception as exc:
            log.warning("readiness_check_failed", check=name, error=type(exc).__name__)
            results[name] = f"failed: {type(exc).__name__}"
    failed = [name for name, result in results.items() if result != "ok"]
    if failed:
        return JSONResponse(
            error_body("unavailable.dependency", f"not ready: {', '.join(failed)}", checks=results),
            status_code=503,
        )
    return JSONResponse({"status": "ok", "checks": results})
