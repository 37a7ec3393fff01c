"""User accounts on the master side: create, change, deactivate, reset passwords, list.

Every change bumps the user's `version` (the users stream exports by version) and writes an
audit event in the same transaction; nothing is written when a check fails.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, record_audit
from core.db import utcnow
from core.errors import Conflict, Invalid, NotFound
from core.pagination import decode_position, encode_position
from core.runtime import Runtime
from core.security import (
    LoginThrottle,
    TokenClaims,
    TokenIssuer,
    generate_password,
    hash_password,
    password_policy_violation,
)
from response_network.audit.models import AuditEvent
from response_network.catalog.models import Profile
from response_network.settings import ResponseSettings
from response_network.users.models import Role, User
from response_network.users.schemas import UserCreate, UserUpdate
from shared.platform.account import PasswordUpdate, change_password

SYSTEM = Actor(id=None, name="system")


@dataclass(frozen=True)
class AdminSeed:
    user: User
    created: bool
    generated_password: str | None
    """Set only when this call created the admin with a generated password: show it once."""


@dataclass(frozen=True)
class UserFilters:
    role: Role | None = None
    active: bool | None = None
    text: str | None = None
    """Matches username, email or display name, case-insensitively."""


def bump_version(user: User) -> None:
    """Mark a change the users stream must carry (the user or one of its API keys)."""
    user.version = (user.version or 0) + 1


def check_password_policy(password: str, *, username: str, email: str) -> None:
    problem = password_policy_violation(password, personal=(username, email))
    if problem is not None:
        raise Invalid(problem, code="invalid.password")


async def _hash(password: str) -> str:
    # argon2id takes tens of milliseconds of CPU: keep it off the event loop.
    return await asyncio.to_thread(hash_password, password)


async def get_user(*, session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", code="not_found.user")
    return user


async def get_user_by_username(*, session: AsyncSession, username: str) -> User:
    user = await session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"no user named {username!r}", code="not_found.user")
    return user


async def list_users(
    *,
    session: AsyncSession,
    filters: UserFilters,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[User], str | None]:
    """One page in username order, and the cursor of the next page (None on the last)."""
    statement = select(User).order_by(User.username).limit(limit + 1)
    if filters.role is not None:
        statement = statement.where(User.role == filters.role)
    if filters.active is not None:
        statement = statement.where(User.active.is_(filters.active))
    if filters.text:
        statement = statement.where(
            or_(
                User.username.icontains(filters.text, autoescape=True),
                User.email.icontains(filters.text, autoescape=True),
                User.display_name.icontains(filters.text, autoescape=True),
            )
        )
    if cursor is not None:
        after = decode_position(cursor, keys=frozenset({"after"}))["after"]
        statement = statement.where(User.username > after)
    users = list((await session.scalars(statement)).all())
    if len(users) <= limit:
        return users, None
    page = users[:limit]
    return page, encode_position({"after": page[-1].username})


async def _ensure_unique(
    session: AsyncSession,
    *,
    username: str | None = None,
    email: str | None = None,
    exclude: uuid.UUID | None = None,
) -> None:
    if username is not None:
        taken = await session.scalar(select(User.id).where(User.username == username))
        if taken is not None and taken != exclude:
            raise Conflict(f"username {username!r} is taken", code="conflict.username")
    if email is not None:
        taken = await session.scalar(select(User.id).where(User.email == email))
        if taken is not None and taken != exclude:
            raise Conflict(f"email {email!r} is in use", code="conflict.email")


async def _flush(session: AsyncSession) -> None:
    """Flush, turning a unique violation that raced past the checks into a 409."""
    try:
        await session.flush()
    except IntegrityError as exc:
        message = str(exc.orig).lower()
        for field in ("email", "username"):
            if field in message:
                raise Conflict(f"{field} is already in use", code=f"conflict.{field}") from exc
        raise


async def _active_admins(session: AsyncSession) -> int:
    statement = (
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active.is_(True))
    )
    return int((await session.execute(statement)).scalar_one())


async def _keep_an_admin(session: AsyncSession, user: User, *, role: Role, active: bool) -> None:
    """Refuse the change that would leave no active admin: nobody could manage users then."""
    loses_admin = user.role == Role.ADMIN and user.active and (role != Role.ADMIN or not active)
    if loses_admin and await _active_admins(session) <= 1:
        raise Conflict("this is the last active admin", code="conflict.last_admin")


async def _ensure_profile(session: AsyncSession, name: str) -> None:
    if await session.scalar(select(Profile.id).where(Profile.name == name)) is None:
        raise Invalid(f"no profile named {name!r}", code="invalid.profile")


async def create_user(*, session: AsyncSession, data: UserCreate, actor: Actor) -> User:
    """A profile named explicitly must exist; left out, it is `default` (seeded)."""
    check_password_policy(data.password, username=data.username, email=data.email)
    if "profile" in data.model_fields_set:
        await _ensure_profile(session, data.profile)
    await _ensure_unique(session, username=data.username, email=data.email)
    user = User(
        username=data.username,
        email=data.email,
        display_name=data.display_name,
        role=data.role,
        active=data.active,
        profile=data.profile,
        limit_overrides=data.limit_overrides,
        request_network_login=data.request_network_login,
        password_hash=await _hash(data.password),
        version=1,
    )
    session.add(user)
    await _flush(session)
    record_audit(
        session=session,
        model=AuditEvent,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        details={
            "username": user.username,
            "role": user.role.value,
            "active": user.active,
            "request_network_login": user.request_network_login,
        },
    )
    return user


async def update_user(*, session: AsyncSession, user: User, data: UserUpdate, actor: Actor) -> User:
    """Apply the fields that were sent; an update that changes nothing writes nothing."""
    wanted: dict[str, Any] = {
        name: getattr(data, name)
        for name in data.model_fields_set
        if getattr(user, name) != getattr(data, name)
    }
    if not wanted:
        return user
    if "email" in wanted:
        await _ensure_unique(session, email=wanted["email"], exclude=user.id)
    if "profile" in wanted:
        await _ensure_profile(session, wanted["profile"])
    await _keep_an_admin(
        session, user, role=wanted.get("role", user.role), active=wanted.get("active", user.active)
    )
    changes = {name: [getattr(user, name), value] for name, value in wanted.items()}
    for name, value in wanted.items():
        setattr(user, name, value)
    bump_version(user)
    await _flush(session)
    record_audit(
        session=session,
        model=AuditEvent,
        actor=actor,
        action="user.update",
        object_type="user",
        object_id=user.id,
        details={"changes": changes},
    )
    return user


async def reset_password(*, session: AsyncSession, user: User, password: str, actor: Actor) -> None:
    check_password_policy(password, username=user.username, email=user.email)
    user.password_hash = await _hash(password)
    user.password_changed_at = utcnow()  # the user's tokens end, here and once synced
    bump_version(user)
    await _flush(session)
    record_audit(
        session=session,
        model=AuditEvent,
        actor=actor,
        action="user.reset_password",
        object_type="user",
        object_id=user.id,
    )


async def change_own_password(
    *,
    runtime: Runtime[ResponseSettings],
    throttle: LoginThrottle,
    tokens: TokenIssuer,
    user: User,
    data: PasswordUpdate,
    address: str | None,
) -> tuple[str, TokenClaims]:
    """Anyone's own new password (staff too: this is their side); a token for it. Every
    older token is refused here at once and on the request network once synced."""
    return await change_password(
        runtime=runtime,
        throttle=throttle,
        tokens=tokens,
        users=User,
        audit_model=AuditEvent,
        caller=user,
        data=data,
        address=address,
    )


async def deactivate_user(*, session: AsyncSession, user: User, actor: Actor) -> bool:
    """Soft delete: the account and its history stay, it can no longer authenticate.

    Returns whether anything changed (deactivating twice is harmless).
    """
    if not user.active:
        return False
    await _keep_an_admin(session, user, role=user.role, active=False)
    user.active = False
    bump_version(user)
    await _flush(session)
    record_audit(
        session=session,
        model=AuditEvent,
        actor=actor,
        action="user.deactivate",
        object_type="user",
        object_id=user.id,
    )
    return True


async def ensure_admin(
    *,
    session: AsyncSession,
    username: str,
    email: str,
    password: str | None,
    request_network_login: bool = False,
) -> AdminSeed:
    """Create the first admin unless one exists; running it again changes nothing.

    `request_network_login` applies to the admin this call creates (`airlock dev` sets it).
    """
    existing = await session.scalar(
        select(User).where(User.role == Role.ADMIN).order_by(User.created_at).limit(1)
    )
    if existing is not None:
        return AdminSeed(existing, created=False, generated_password=None)
    generated = None if password else generate_password()
    user = User(
        username=username.strip().lower(),
        email=email.strip().lower(),
        display_name="Administrator",
        role=Role.ADMIN,
        active=True,
        password_hash=hash_password(password or generated or ""),
        request_network_login=request_network_login,
        version=1,
    )
    session.add(user)
    await session.flush()
    record_audit(
        session=session,
        model=AuditEvent,
        actor=SYSTEM,
        action="user.create",
        object_type="user",
        object_id=user.id,
        details={
            "username": user.username,
            "role": user.role.value,
            "seed": True,
            "request_network_login": request_network_login,
        },
    )
    return AdminSeed(user, created=True, generated_password=generated)
