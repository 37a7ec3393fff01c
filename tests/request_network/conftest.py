"""Replica accounts and credentials on the request network."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from core.security import TokenIssuer, hash_password
from request_network.auth.service import build_token_issuer
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.users.models import User
from tests.request_network.replica import insert_user

PASSWORD = "correct horse battery staple"

ReplicaUserFactory = Callable[..., Awaitable[User]]


@pytest.fixture(scope="session")
def replica_password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def request_tokens(request_settings: RequestSettings) -> TokenIssuer:
    """The same issuer the app builds (same settings, same generated secret file)."""
    return build_token_issuer(request_settings)


@pytest.fixture
def replica_user(request_runtime: RequestRuntime, replica_password_hash: str) -> ReplicaUserFactory:
    async def make(username: str, *, role: str = "user", active: bool = True) -> User:
        return await insert_user(
            request_runtime,
            username,
            password_hash=replica_password_hash,
            role=role,
            active=active,
        )

    return make
