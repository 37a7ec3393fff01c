"""Who is using the response network's console: the session cookie's token, authenticated by
the same function as the API's bearer token, and the same role and scope checks over it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends

from core.audit import Actor
from core.credentials import Caller
from core.deps import RevocationsDep, TokenIssuerDep, UnitOfWorkDep
from core.logging import bind_user_id
from response_network.auth.service import authenticate
from response_network.settings import ResponseSettings
from response_network.users.models import User
from shared.platform.console.session import SessionCredentials
from shared.platform.console.site import Console
from shared.platform.principal_deps import bind_principals


async def get_console_caller(
    credentials: SessionCredentials,
    tokens: TokenIssuerDep,
    revocations: RevocationsDep,
    uow: UnitOfWorkDep,
) -> Caller[User]:
    caller = await authenticate(
        session=uow.session, tokens=tokens, credentials=credentials, revocations=revocations
    )
    bind_user_id(caller.user.id)
    return caller


identity = bind_principals(get_console_caller, ResponseSettings)
ConsoleUser = Annotated[User, Depends(identity.user)]
ConsoleActor = Annotated[Actor, Depends(identity.actor)]


def build_console() -> Console:
    """A new console, its pages not yet declared (`console.install` declares them once)."""
    return Console(
        title="Airlock responses",
        templates=Path(__file__).parent / "templates",
        identity=identity,
        home="/queue",
    )
