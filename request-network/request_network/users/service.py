"""Reading the replicated users (admins only): plain async functions, session first.

Nothing here writes: users are mastered on the response network and arrive by the `users`
stream.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.pagination import decode_position, encode_position
from request_network.users.models import Role, User

_AFTER = frozenset({"after"})


@dataclass(frozen=True)
class UserFilters:
    username_prefix: str | None = None
    role: Role | None = None
    active: bool | None = None


async def list_users(
    *,
    session: AsyncSession,
    filters: UserFilters,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[User], str | None]:
    """One page in username order (usernames are unique), and the next page's cursor (None on
    the last)."""
    statement = select(User).order_by(User.username).limit(limit + 1)
    if filters.username_prefix:
        statement = statement.where(
            User.username.startswith(filters.username_prefix, autoescape=True)
        )
    if filters.role is not None:
        statement = statement.where(User.role == filters.role)
    if filters.active is not None:
        statement = statement.where(User.active.is_(filters.active))
    if cursor is not None:
        statement = statement.where(User.username > decode_position(cursor, keys=_AFTER)["after"])
    users = list((await session.scalars(statement)).all())
    if len(users) <= limit:
        return users, None
    page = users[:limit]
    return page, encode_position({"after": page[-1].username})


async def get_user(*, session: AsyncSession, user_id: uuid.UUID) -> User:
    """The user, else `NotFound` (`not_found.user`)."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", code="not_found.user")
    return user
