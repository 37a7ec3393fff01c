"""Whose address a login is counted and audited for: the connection's peer, unless that peer
is a proxy named in FORWARDED_ALLOW_IPS, whose X-Forwarded-For is then believed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from core.process import server_config
from request_network.settings import RequestSettings
from response_network.app import create_app
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from tests.response_network.auth.conftest import ClientWith
from tests.response_network.conftest import UserFactory
from tests.response_network.identity import PASSWORD, audit_events
from tests.services import free_port, wait_for_port

WRONG = "not the password at all"


async def login_from(
    client: httpx.AsyncClient, forwarded_for: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        "/auth/token",
        data={"username": "alice", "password": password},
        headers={"X-Forwarded-For": forwarded_for},
    )


# (FORWARDED_ALLOW_IPS, the connection's peer, X-Forwarded-For, the address that counts)
CASES = [
    ("", "127.0.0.1", "203.0.113.5", "127.0.0.1"),  # the default: no proxy is trusted
    ("127.0.0.1", "127.0.0.1", "203.0.113.5", "203.0.113.5"),
    ("127.0.0.1", "198.51.100.7", "203.0.113.5", "198.51.100.7"),  # not from the proxy
    ("10.0.0.0/8", "10.1.2.3", "192.0.2.1, 10.4.4.4", "192.0.2.1"),  # two proxies in a row
    ("10.0.0.0/8", "10.1.2.3", "192.0.2.66, 192.0.2.1, 10.4.4.4", "192.0.2.1"),  # a forged hop
]


async def test_the_audited_address_follows_forwarded_allow_ips(
    client_with: ClientWith, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    await make_user("alice")
    for trusted, peer, forwarded_for, _ in CASES:
        async with client_with(peer=peer, forwarded_allow_ips=trusted) as client:
            assert (await login_from(client, forwarded_for)).status_code == 200

    events = await audit_events(response_runtime, "auth.login")
    assert [event.client_address for event in events] == [case[-1] for case in CASES]


async def test_forwarded_for_from_an_untrusted_peer_cannot_dodge_the_throttle(
    client_with: ClientWith, make_user: UserFactory
) -> None:
    await make_user("alice")
    async with client_with(login_delay_seconds=60) as client:  # FORWARDED_ALLOW_IPS empty
        guesses = [
            (await login_from(client, f"203.0.113.{n}", WRONG)).status_code for n in range(6)
        ]

    assert guesses == [401] * 5 + [429]


@contextmanager
def serving(app: FastAPI, settings: ResponseSettings) -> Iterator[str]:
    """The app under uvicorn, configured exactly as `airlock-response run` does."""
    config = server_config(app, settings.model_copy(update={"port": free_port()}))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(config.port)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.mark.parametrize("backend", ["embedded"], indirect=True)
async def test_uvicorn_believes_forwarded_for_only_from_the_configured_proxies(
    response_settings: ResponseSettings, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    await make_user("alice")
    for trusted in ("", "127.0.0.1"):  # uvicorn's own default trusts 127.0.0.1
        settings = response_settings.model_copy(update={"forwarded_allow_ips": trusted})
        with serving(create_app(settings), settings) as url:
            async with httpx.AsyncClient(base_url=url) as client:
                assert (await login_from(client, "203.0.113.5")).status_code == 200

    events = await audit_events(response_runtime, "auth.login")
    assert [event.client_address for event in events] == ["127.0.0.1", "203.0.113.5"]


def test_forwarded_allow_ips_takes_addresses_and_networks_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRLOCK_RESPONSE_FORWARDED_ALLOW_IPS", " 10.0.0.0/8 , 192.0.2.1,::1 ")
    monkeypatch.setenv("AIRLOCK_REQUEST_FORWARDED_ALLOW_IPS", "172.18.0.2")

    assert ResponseSettings().forwarded_allow_ips == "10.0.0.0/8,192.0.2.1,::1"
    assert RequestSettings().forwarded_allow_ips == "172.18.0.2"
    assert ResponseSettings(forwarded_allow_ips="").forwarded_allow_ips == ""
    for wrong in ("proxy.internal", "*", "10.0.0.0/33"):
        with pytest.raises(ValidationError, match="not an IP address or CIDR network"):
            ResponseSettings(forwarded_allow_ips=wrong)
