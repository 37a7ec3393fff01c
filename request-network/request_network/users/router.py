"""`/users/me`: read-only, like everything about users on this side."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from request_network.deps import CurrentUser, any_scope
from request_network.users.schemas import UserRead

router = APIRouter(tags=["users"], dependencies=[Depends(any_scope)])


@router.get("/users/me", summary="The account behind the credentials")
async def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)
