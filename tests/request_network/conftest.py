"""Replica accounts and credentials on the request network."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from core.security import TokenIssuer, hash_password
from request_network.auth.service import build_token_issuer
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.users.models import User
from tests.request_network.replica import insert_user

PASSWORD = "correct horse battery staple"

ReplicaUserFactory = Callable[..., Awaitable[User]]


@contextlib.contextmanager
def redis_commands(runtime: RequestRuntime, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The commands the runtime's Redis client sends inside the block, each a round trip
    (the real server answers them: counted on the way, not faked)."""
    client = runtime.cache.redis  # type: ignore[attr-defined]
    sent: list[str] = []
    send = client.execute_command

    async def counted(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await send(*args, **options)

    with monkeypatch.context() as patch:
        patch.setattr(client, "execute_command", counted)
        yield sent


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
