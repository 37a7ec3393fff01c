"""The response network's console: the operator queue (`queue.py`), failed requests
(`failed.py`), the overview (`overview.py`), users with their grants and keys (`users.py`,
`user_access.py`), profiles (`profiles.py`) and request types (`types.py`) over the same
services as the API, and the transfer, audit, alerts and tasks pages both networks mount
(`shared.platform.console.operations`). `install(app)` mounts it with the login pages and the
shared machinery."""

from __future__ import annotations

import functools

from fastapi import FastAPI

from response_network.alerts.models import TABLES as ALERT_TABLES
from response_network.audit.models import AuditEvent
from response_network.auth.service import check_password
from response_network.console.deps import build_console
from response_network.console.failed import add_failed_pages
from response_network.console.overview import add_overview_pages
from response_network.console.profiles import add_profile_pages
from response_network.console.queue import add_queue_pages
from response_network.console.types import add_type_pages
from response_network.console.user_access import add_user_access_pages
from response_network.console.users import add_user_pages
from response_network.transfer.service import transfer_context
from response_network.users.models import User
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
    add_queue_pages(console)
    add_failed_pages(console)
    add_overview_pages(console)
    add_user_pages(console)
    add_user_access_pages(console)
    add_profile_pages(console)
    add_type_pages(console)
    # Last, as on the request network: the same operations links end both navigations.
    add_operations_pages(console, transfer_context, AuditEvent, ALERT_TABLES.alert)
    return console


def install(app: FastAPI) -> None:
    install_console(app, _console())
