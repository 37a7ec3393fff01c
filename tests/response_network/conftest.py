"""Accounts and credentials on the response network, made without paying argon2 per user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from core.security import TokenIssuer, hash_password
from response_network.auth.service import build_token_issuer
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.users.models import Role, User
from tests.response_network.identity import PASSWORD, bearer

UserFactory = Callable[..., Awaitable[User]]


@pytest.fixture(scope="session")
def password_hash() -> str:
    """Hashed once per session: argon2id costs tens of milliseconds per hash."""
    return hash_password(PASSWORD)


@pytest.fixture
def tokens(response_settings: ResponseSettings) -> TokenIssuer:
    """The same issuer the app builds (same settings, same generated secret file)."""
    return build_token_issuer(response_settings)


@pytest.fixture
def make_user(response_runtime: ResponseRuntime, password_hash: str) -> UserFactory:
    async def make(
        username: str,
        *,
        role: Role = Role.USER,
        active: bool = True,
        hashed: str | None = None,
        email: str | None = None,
        display_name: str = "",
    ) -> User:
        async with response_runtime.unit_of_work() as uow:
            user = User(
                username=username,
                email=email or f"{username}@example.org",
                display_name=display_name,
                role=role,
                active=active,
                password_hash=hashed or password_hash,
                version=1,
            )
            uow.session.add(user)
        return user

    return make


@pytest.fixture
async def admin(make_user: UserFactory) -> User:
    return await make_user("root", role=Role.ADMIN)


@pytest.fixture
def admin_headers(admin: User, tokens: TokenIssuer) -> dict[str, str]:
    return bearer(tokens.issue(str(admin.id))[0])


@pytest.fixture
async def response_tokens(make_user: UserFactory, tokens: TokenIssuer) -> dict[str, str]:
    """A token of a user, an operator and an admin, by role name."""
    issued = {}
    for role in (Role.USER, Role.OPERATOR, Role.ADMIN):
        user = await make_user(f"as-{role.value}", role=role)
        issued[role.value] = tokens.issue(str(user.id))[0]
    return issued
