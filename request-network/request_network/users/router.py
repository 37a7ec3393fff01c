"""`/users/me`: read-only but for one's own password. HTTP only: the service decides."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from core.deps import ClientAddress, LoginThrottleDep, RuntimeDep, TokenIssuerDep
from request_network.deps import CurrentUser, SessionCaller, any_scope
from request_network.users import service
from request_network.users.schemas import UserRead
from shared.account import PasswordUpdate
from shared.login import TokenRead

router = APIRouter(tags=["users"], dependencies=[Depends(any_scope)])
session_router = APIRouter(tags=["users"])


@router.get("/users/me", summary="The account behind the credentials")
async def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@session_router.post(
    "/users/me/password",
    summary="Change your password (users only); answers a new token, older ones are refused",
    responses={
        400: {"description": "`bad_request.token_required`: an API key is no login"},
        403: {
            "description": "`forbidden.current_password`, or `forbidden.password_change` (staff)"
        },
        422: {"description": "`invalid.password`: the new password breaks the policy"},
        429: {"description": "Too many wrong passwords; see Retry-After"},
    },
)
async def change_password(
    data: PasswordUpdate,
    caller: SessionCaller,
    runtime: RuntimeDep,
    throttle: LoginThrottleDep,
    tokens: TokenIssuerDep,
    address: ClientAddress,
) -> TokenRead:
    token, _claims = await service.change_own_password(
        runtime=runtime,
        throttle=throttle,
        tokens=tokens,
        user=caller.user,
        data=data,
        address=address,
    )
    return TokenRead(access_token=token, expires_in=int(tokens.ttl.total_seconds()))
