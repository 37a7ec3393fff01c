"""The request network's console: the user portal (`portal.py`), its own admin pages
(`admin.py`) and the transfer, audit, alerts and tasks pages both networks mount
(`shared.platform.console`), over the same services as the API. `install(app)` mounts it
with the login pages and the shared machinery."""

from __future__ import annotations

import functools

from fastapi import FastAPI

from request_network.alerts.models import TABLES as ALERT_TABLES
from request_network.audit.models import AuditEvent
from request_network.auth.service import check_password
from request_network.console.admin import add_admin_pages
from request_network.console.deps import build_console
from request_network.console.portal import add_portal_pages
from request_network.transfer.service import transfer_context
from request_network.users.models import User
from shared.platform.console.operations import add_operations_pages
from shared.platform.console.pages import add_login_pages, install_console
from shared.platform.console.site import Console


@functools.cache
def _console() -> Console:
    """Built once per process: its pages hold nothing of an app (they reach the runtime
    through the request), and declaring them costs a tenth of a second that every app the
    tests build would pay again."""
    console = build_console()
    add_login_pages(console, check_password, User, AuditEvent)
    add_portal_pages(console)
    add_admin_pages(console)
    # Last, as on the response network: the same operations links end both navigations.
    add_operations_pages(console, transfer_context, AuditEvent, ALERT_TABLES.alert)
    return console


def install(app: FastAPI) -> None:
    install_console(app, _console())
