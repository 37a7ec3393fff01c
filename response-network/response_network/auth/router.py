"""`POST /auth/token`: the OAuth2 password flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from core.deps import ClientAddress, LoginThrottleDep, RuntimeDep, TokenIssuerDep
from response_network.auth.flows import login
from response_network.auth.schemas import TokenRead

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/token",
    summary="Log in with username and password; answers a bearer token",
    responses={
        401: {"description": "Wrong username or password (the same answer for both)"},
        429: {"description": "Too many failed logins; see Retry-After"},
    },
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    runtime: RuntimeDep,
    tokens: TokenIssuerDep,
    throttle: LoginThrottleDep,
    address: ClientAddress,
) -> TokenRead:
    access_token, _claims = await login(
        runtime=runtime,
        tokens=tokens,
        throttle=throttle,
        username=form.username,
        password=form.password,
        address=address,
    )
    return TokenRead(access_token=access_token, expires_in=int(tokens.ttl.total_seconds()))
