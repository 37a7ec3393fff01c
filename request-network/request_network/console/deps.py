"""Who is using the request network's console: the session cookie's token, authenticated by
the same function as the API's bearer token, and the same role and scope checks over it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends
from fastapi import Request as HttpRequest

from core.audit import Actor
from core.credentials import Caller
from core.deps import UnitOfWorkDep
from request_network.deps import request_caller
from request_network.settings import RequestSettings
from request_network.users.models import User
from shared.platform.console.session import session_credentials
from shared.platform.console.site import Console
from shared.platform.principal_deps import bind_principals


async def get_console_caller(request: HttpRequest, uow: UnitOfWorkDep) -> Caller[User]:
    return await request_caller(request, uow.session, session_credentials(request))


identity = bind_principals(get_console_caller, RequestSettings)
ConsoleUser = Annotated[User, Depends(identity.user)]
ConsoleActor = Annotated[Actor, Depends(identity.actor)]


def build_console() -> Console:
    """A new console, its pages not yet declared (`console.install` declares them once)."""
    return Console(
        title="Airlock requests",
        templates=Path(__file__).parent / "templates",
        identity=identity,
        home="/types",
    )
