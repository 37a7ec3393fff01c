"""The pages every console has: login and logout, over the same flows as `POST /auth/token`
and `POST /auth/logout` (throttle, audit, revocation), and `install_console`.

No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.app import add_routes
from core.audit import AuditEventMixin
from core.deps import (
    ClientAddress,
    LoginThrottleDep,
    RevocationsDep,
    RuntimeDep,
    TokenIssuerDep,
    UnitOfWorkDep,
)
from core.errors import AirlockError
from shared.platform.account import log_out
from shared.platform.console.errors import install_console_errors, to_login
from shared.platform.console.session import (
    LOGIN_MESSAGES,
    clear_session,
    login_csrf,
    login_csrf_matches,
    read_form,
    session_credentials,
    set_login_csrf,
    set_session,
)
from shared.platform.console.site import PREFIX, Console, static_files
from shared.platform.login import CheckPassword, log_in


def add_login_pages(
    console: Console, check_password: CheckPassword, users: type[Any], audit: type[AuditEventMixin]
) -> None:
    router = console.router

    def login_form(
        request: Request, *, message: str | None, error: str | None, username: str, status: int
    ) -> HTMLResponse:
        token = login_csrf(request)
        response = console.render(
            request,
            "login.html",
            status_code=status,
            message=message,
            error=error,
            username=username,
            login_csrf=token,
        )
        set_login_csrf(response, request, token)
        return response

    @router.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request, reason: str | None = None) -> HTMLResponse:
        message = LOGIN_MESSAGES.get(reason or "")
        return login_form(request, message=message, error=None, username="", status=200)

    @router.post("/login", response_class=HTMLResponse)
    async def login(
        request: Request,
        runtime: RuntimeDep,
        tokens: TokenIssuerDep,
        throttle: LoginThrottleDep,
        address: ClientAddress,
    ) -> Response:
        form = await request.form()
        username, password, given = (
            str(form.get(name) or "") for name in ("username", "password", "csrf_token")
        )
        if not login_csrf_matches(request, given):
            message = LOGIN_MESSAGES["csrf"]
            return login_form(request, message=message, error=None, username=username, status=403)
        try:
            token, _claims = await log_in(
                runtime=runtime,
                tokens=tokens,
                throttle=throttle,
                check_password=check_password,
                audit_model=audit,
                username=username,
                password=password,
                address=address,
            )
        except AirlockError as refused:
            # The API's refusal (wrong password, throttled, too long), shown on the form.
            return login_form(
                request,
                message=None,
                error=refused.detail,
                username=username[:254],
                status=refused.status_code,
            )
        response = RedirectResponse(f"{PREFIX}{console.home}", status_code=303)
        set_session(response, request, token, int(tokens.ttl.total_seconds()))
        return response

    @router.post("/logout")
    async def logout(
        request: Request,
        tokens: TokenIssuerDep,
        revocations: RevocationsDep,
        uow: UnitOfWorkDep,
        address: ClientAddress,
    ) -> Response:
        await read_form(request)
        await log_out(
            session=uow.session,
            tokens=tokens,
            revocations=revocations,
            credentials=session_credentials(request),
            users=users,
            audit_model=audit,
            address=address,
        )
        response = to_login(request, "logged_out")
        clear_session(response, request)
        return response


def install_console(app: FastAPI, console: Console) -> None:
    """Mount `console`'s pages, its static files and its HTML error answers on `app`."""
    add_routes(app, console.router)
    app.mount(f"{PREFIX}/static", static_files(), name="console-static")
    install_console_errors(app, console)
