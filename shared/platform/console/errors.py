"""Errors on console routes answer pages, not JSON: a missing or ended session and a stale
CSRF token go to the login page with a message, anything else to an error page. API routes
keep the JSON error model; the handlers below hand them back to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import AirlockError, Unauthorized
from shared.platform.console.session import LoginRequired, clear_session
from shared.platform.console.site import PREFIX, Console

Handler = Callable[[Request, Exception], Awaitable[Response]]


def is_console(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def to_login(request: Request, reason: str) -> Response:
    """The login page with the message `reason` names. The cookie is cleared only when its
    session is over: a stale form (`csrf`) proves nothing against the session itself, and
    clearing it then would let any stale page end the session another tab opened."""
    target = f"{PREFIX}/login?{urlencode({'reason': reason})}"
    if request.headers.get("HX-Request"):
        # An htmx call would swap the login page into a fragment: ask for a full navigation.
        response: Response = Response(status_code=200, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    if reason != "csrf":
        clear_session(response, request)
    return response


def _status_and_detail(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, AirlockError):
        return exc.status_code, exc.detail
    if isinstance(exc, StarletteHTTPException):
        detail = "No such page." if exc.status_code == 404 else str(exc.detail)
        return exc.status_code, detail
    return 422, "The address or form holds a value this page cannot take."


def install_console_errors(app: FastAPI, console: Console) -> None:
    """Put the console's page answers in front of the app's JSON error handlers."""
    handlers: dict[Any, Handler] = dict(app.exception_handlers)

    def wrap(kind: type[Exception]) -> Handler:
        api_handler = handlers.get(kind)

        async def handle(request: Request, exc: Exception) -> Response:
            if not is_console(request.url.path) and api_handler is not None:
                return await api_handler(request, exc)
            if isinstance(exc, LoginRequired):
                return to_login(request, exc.reason)
            if isinstance(exc, Unauthorized):
                return to_login(request, "expired")
            status, detail = _status_and_detail(exc)
            return console.render(
                request, "error.html", status_code=status, status=status, detail=detail
            )

        return handle

    for kind in (LoginRequired, AirlockError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(kind, wrap(kind))
    app.state.refusal_pages = [refusal_page(console)]


def refusal_page(console: Console) -> Callable[[str, int, str], bytes | None]:
    """A page for the body limit's refusal (written before any route runs) on console paths."""
    template = console.templates.env.get_template("error.html")

    def render(path: str, status: int, detail: str) -> bytes | None:
        if not is_console(path):
            return None
        html = template.render(console=console, user=None, nav=[], status=status, detail=detail)
        return html.encode()

    return render
