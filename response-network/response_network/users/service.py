"""User behaviour on the master side."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.security import generate_password, hash_password
from response_network.users.models import Role, User


@dataclass(frozen=True)
class AdminSeed:
    user: User
    created: bool
    generated_password: str | None
    """Set only when this call created the admin with a generated password: show it once."""


async def count_admins(*, session: AsyncSession) -> int:
    statement = select(func.count()).select_from(User).where(User.role == Role.ADMIN)
    return int((await session.execute(statement)).scalar_one())


async def ensure_admin(
    *, session: AsyncSession, username: str, email: str, password: str | None
) -> AdminSeed:
    """Create the first admin unless one exists; running it again changes nothing."""
    existing = await session.scalar(
        select(User).where(User.role == Role.ADMIN).order_by(User.created_at).limit(1)
    )
    if existing is not None:
        return AdminSeed(existing, created=False, generated_password=None)
    generated = None if password else generate_password()
    user = User(
        username=username,
        email=email,
        display_name="Administrator",
        role=Role.ADMIN,
        active=True,
        password_hash=hash_password(password or generated or ""),
    )
    session.add(user)
    await session.flush()
    return AdminSeed(user, created=True, generated_password=generated)
