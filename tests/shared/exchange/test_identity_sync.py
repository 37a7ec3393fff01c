"""Identity crosses the gap: what the master changes is what the replica enforces."""

from __future__ import annotations

import httpx

from response_network.users.models import Role, User
from shared.exchange.export import export_all
from shared.exchange.importing import import_pending
from tests.shared.exchange.conftest import PASSWORD_HASH, Networks

ROOT_PASSWORD = "a long enough password"
ALICE_PASSWORD = "alice's own long passphrase"


async def sync(networks: Networks) -> None:
    await export_all(networks.response_ctx)
    results = await import_pending(networks.request_ctx)
    assert all(r.status == "applied" for r in results), results


async def token(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/auth/token", data={"username": username, "password": password})


def bearer(response: httpx.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_sync_grants_then_revokes_access_on_the_request_network(
    networks: Networks, response_client: httpx.AsyncClient, request_client: httpx.AsyncClient
) -> None:
    async with networks.response.unit_of_work() as uow:
        uow.session.add(
            User(
                username="root",
                email="root@example.org",
                role=Role.ADMIN,
                active=True,
                password_hash=PASSWORD_HASH,
            )
        )
    admin = bearer(await token(response_client, "root", ROOT_PASSWORD))
    created = await response_client.post(
        "/admin/users",
        json={"username": "alice", "email": "alice@example.org", "password": ALICE_PASSWORD},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    alice_id = created.json()["id"]
    key = await response_client.post(
        f"/admin/users/{alice_id}/api-keys", json={"name": "laptop"}, headers=admin
    )
    assert key.status_code == 201, key.text
    secret = key.json()["secret"]

    # Before the sync the request network knows nobody.
    assert (await token(request_client, "alice", ALICE_PASSWORD)).status_code == 401
    await sync(networks)

    login = await token(request_client, "alice", ALICE_PASSWORD)
    assert login.status_code == 200, login.text
    me = await request_client.get("/users/me", headers=bearer(login))
    assert me.json()["username"] == "alice"
    by_key = await request_client.get("/users/me", headers={"X-API-Key": secret})
    assert by_key.status_code == 200

    revoked = await response_client.delete(
        f"/admin/users/{alice_id}/api-keys/{key.json()['id']}", headers=admin
    )
    assert revoked.status_code == 204
    await sync(networks)
    assert (await request_client.get("/users/me", headers={"X-API-Key": secret})).status_code == 401
    assert (await request_client.get("/users/me", headers=bearer(login))).status_code == 200

    deactivated = await response_client.post(f"/admin/users/{alice_id}/deactivate", headers=admin)
    assert deactivated.status_code in (200, 204), deactivated.text
    await sync(networks)
    assert (await request_client.get("/users/me", headers=bearer(login))).status_code == 401
    assert (await token(request_client, "alice", ALICE_PASSWORD)).status_code == 401


async def test_admins_see_the_transfer_state_and_requeue_quarantined_batches(
    networks: Networks, response_client: httpx.AsyncClient, request_client: httpx.AsyncClient
) -> None:
    async with networks.response.unit_of_work() as uow:
        uow.session.add(
            User(
                username="root",
                email="root@example.org",
                role=Role.ADMIN,
                active=True,
                password_hash=PASSWORD_HASH,
                request_network_login=True,  # so the admin can log in on the request network
            )
        )
    await export_all(networks.response_ctx)
    # The batch arrives damaged, is quarantined, then the intact copy is put back by hand.
    ctx = networks.request_ctx
    assert ctx.inbox_dir == networks.response_ctx.outbox_dir  # one shared transfer volume
    [batch] = list(ctx.inbox_dir.iterdir())
    intact = batch.read_bytes()
    batch.write_bytes(intact[: len(intact) // 2])
    [refused] = await import_pending(ctx)
    assert refused.status == "quarantined"

    response_admin = bearer(await token(response_client, "root", ROOT_PASSWORD))
    sent = (await response_client.get("/admin/transfer", headers=response_admin)).json()
    assert [(s["stream"], s["last_sequence"]) for s in sent["outbound"]] == [("users", 1)]

    (ctx.quarantine_dir / batch.name).write_bytes(intact)  # the operator fixed the cause
    anonymous = await request_client.post(f"/admin/transfer/quarantine/{batch.name}/requeue")
    assert anonymous.status_code == 401
    # Nobody can log in on the request network yet: requeue with the CLI-equivalent call.
    from shared.exchange.files import requeue

    requeue(batch.name, ctx.quarantine_dir, ctx.inbox_dir)
    [applied] = await import_pending(ctx)
    assert applied.status == "applied"

    request_admin = bearer(await token(request_client, "root", ROOT_PASSWORD))
    state = await request_client.get("/admin/transfer", headers=request_admin)
    assert state.status_code == 200
    body = state.json()
    assert (body["network"], body["peer"]) == ("request", "response")
    assert [(s["stream"], s["last_sequence"], s["open_gaps"]) for s in body["inbound"]] == [
        ("users", 1, [])
    ]
    assert body["quarantined"] == []
    missing = await request_client.post(
        "/admin/transfer/quarantine/nothing.tar/requeue", headers=request_admin
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found.batch")
    no_gap = await request_client.post("/admin/transfer/gaps/users/7/lost", headers=request_admin)
    assert (no_gap.status_code, no_gap.json()["code"]) == (404, "not_found.gap")
