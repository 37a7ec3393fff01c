"""A client of the response API built with changed settings, seen from a chosen address."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from response_network.app import create_app
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings

ClientWith = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_with(
    response_settings: ResponseSettings, response_runtime: ResponseRuntime
) -> ClientWith:
    """`async with client_with(peer="10.0.0.1", login_delay_seconds=60) as client`: an app
    on the test's runtime with some settings changed, called from the address `peer`. Its
    lifespan is not run (it would close the runtime), so several may be opened in turn."""

    @contextlib.asynccontextmanager
    async def open_client(
        peer: str = "127.0.0.1", **changes: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(response_settings.model_copy(update=changes), response_runtime)
        transport = httpx.ASGITransport(app=app, client=(peer, 50_000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

    return open_client
