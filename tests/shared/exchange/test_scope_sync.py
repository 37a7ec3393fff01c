"""A key's scopes are set on the master and bind on the replica after the sync."""

from __future__ import annotations

import httpx

from tests.shared.exchange.conftest import Networks
from tests.shared.exchange.test_identity_sync import ROOT_PASSWORD, bearer, sync, token
from tests.shared.exchange.test_request_network_login import add_root

PASSWORD = "ursula's own long passphrase"


async def test_a_read_only_key_made_on_the_master_cannot_submit_on_the_replica(
    networks: Networks, response_client: httpx.AsyncClient, request_client: httpx.AsyncClient
) -> None:
    await add_root(networks)
    admin = bearer(await token(response_client, "root", ROOT_PASSWORD))
    created = await response_client.post(
        "/admin/users",
        json={"username": "ursula", "email": "u@example.org", "password": PASSWORD},
        headers=admin,
    )
    key = await response_client.post(
        f"/admin/users/{created.json()['id']}/api-keys",
        json={"name": "dashboard", "scopes": ["requests:read"]},
        headers=admin,
    )
    assert key.status_code == 201, key.text
    read_only = {"X-API-Key": key.json()["secret"]}

    await sync(networks)

    listed = await request_client.get("/requests", headers=read_only)
    submitted = await request_client.post(
        "/requests", json={"request_type": "echo", "parameters": {}}, headers=read_only
    )
    assert listed.status_code == 200
    assert (submitted.status_code, submitted.json()["code"]) == (403, "forbidden.scope")
    # The same user's login token is not bound by any key's scopes (the role still is).
    login = bearer(await token(request_client, "ursula", PASSWORD))
    anything = await request_client.post(
        "/requests", json={"request_type": "echo", "parameters": {}}, headers=login
    )
    assert anything.json()["code"] != "forbidden.scope"
