"""The console's session: a cookie holding a token the network's own issuer minted, and a
CSRF token bound to it.

The cookie is `HttpOnly`, `SameSite=Strict` and `Secure` when the request came over TLS (the
app's proxy-headers middleware turns a trusted proxy's `X-Forwarded-Proto: https` into the
scheme). Since the value is a login token, logout (revocation) and a password change (the
credentials stamp) end a console session exactly like an API session.

CSRF: a signed-in form carries `sha256(key, cookie)`; the login form, before any session
exists, a random value that must match a second cookie (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from core.credentials import Credentials
from core.errors import Invalid

SESSION_COOKIE = "airlock_console"
LOGIN_CSRF_COOKIE = "airlock_console_login"
CSRF_FIELD = "csrf_token"
MAX_FORM_FIELD = 100_000
"""Characters of one text field a console form takes; the app's body limit bounds the whole
form before it is read."""


class LoginRequired(Exception):
    """Send the browser to the login page with the message `reason` names."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


LOGIN_MESSAGES = {
    "login": "Please log in.",
    "expired": "Your session has ended; please log in again.",
    "csrf": "The form was stale (its security token did not match); please log in again.",
    "logged_out": "You are logged out.",
}


def session_token(request: Request) -> str:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired("login")
    return token


def session_credentials(request: Request) -> Credentials:
    """The cookie's token as credentials; never an API key (a console session is a login)."""
    token = session_token(request)
    if token.startswith("ak_"):
        raise LoginRequired("expired")
    return Credentials(token=token)


def csrf_token_for(token: str) -> str:
    # One-way: the page shows the CSRF token, never anything the cookie could be rebuilt from.
    return hashlib.sha256(b"airlock-console-csrf\x00" + token.encode()).hexdigest()


def csrf_token(request: Request) -> str:
    token = request.cookies.get(SESSION_COOKIE)
    return csrf_token_for(token) if token else ""


async def read_form(request: Request) -> dict[str, Any]:
    """The posted form as plain strings (a repeated field: its last value), after the CSRF
    check; a stale or missing token sends the user to the login page."""
    expected = csrf_token(request)
    if not expected:
        raise LoginRequired("login")  # no session at all: nothing for the token to be stale to
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    given = fields.pop(CSRF_FIELD, "")
    if not hmac.compare_digest(expected, given):
        raise LoginRequired("csrf")
    if any(len(value) > MAX_FORM_FIELD for value in fields.values()):
        raise Invalid(
            f"a form field is longer than {MAX_FORM_FIELD} characters", code="invalid.form"
        )
    return fields


def is_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console/login")


def clear_session(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/console", httponly=True, samesite="strict", secure=is_secure(request)
    )


def login_csrf(request: Request) -> str:
    """The login form's token: the cookie's if the browser has one, else a new one."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)


def set_login_csrf(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        value,
        path="/console/login",
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
    )


def login_csrf_matches(request: Request, given: str) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie, given)


async def get_session_credentials(request: Request) -> Credentials:
    return session_credentials(request)


SessionCredentials = Annotated[Credentials, Depends(get_session_credentials)]
"""The console's `CredentialsDep`: what a network's console caller authenticates."""
