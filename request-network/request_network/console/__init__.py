"""The request network's console: the user portal (`portal.py`) and the admin pages
(`admin.py`) over the same services as the API. `install(app)` mounts it with the login
pages and the shared machinery."""

from __future__ import annotations

from fastapi import FastAPI

from request_network.audit.models import AuditEvent
from request_network.auth.service import check_password
from request_network.console.admin import add_admin_pages
from request_network.console.deps import build_console
from request_network.console.portal import add_portal_pages
from request_network.users.models import User
from shared.platform.console.pages import add_login_pages, install_console


def install(app: FastAPI) -> None:
    console = build_console()
    add_login_pages(console, check_password, User, AuditEvent)
    add_portal_pages(console)
    add_admin_pages(console)
    install_console(app, console)
