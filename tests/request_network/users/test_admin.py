"""`/admin/users` on the request network: admins read the replicated users, nothing more."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from core.security import TokenIssuer
from request_network.users.models import User
from tests.request_network.conftest import ReplicaUserFactory

Headers = dict[str, str]


@pytest.fixture
def auth(request_tokens: TokenIssuer) -> Callable[[User], Headers]:
    def headers(user: User) -> Headers:
        return {"Authorization": f"Bearer {request_tokens.issue(str(user.id))[0]}"}

    return headers


@pytest.fixture
async def root(replica_user: ReplicaUserFactory) -> User:
    return await replica_user("root", role="admin")


async def usernames(
    client: httpx.AsyncClient, headers: Headers, **params: str
) -> tuple[list[str], list[int]]:
    """Every page of `GET /admin/users` with these filters: the usernames, and page sizes."""
    seen: list[str] = []
    sizes: list[int] = []
    cursor: str | None = None
    while True:
        page = await client.get(
            "/admin/users", params=params | ({"cursor": cursor} if cursor else {}), headers=headers
        )
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        seen += [item["username"] for item in items]
        sizes.append(len(items))
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return seen, sizes


async def test_admins_page_through_users_filtered_by_prefix_role_and_activity(
    replica_user: ReplicaUserFactory,
    root: User,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    for name in ("ann", "anna", "annie", "bob", "an_x"):
        await replica_user(name)
    await replica_user("andy", active=False)
    await replica_user("anya", role="operator")
    headers = auth(root)

    everyone, sizes = await usernames(request_client, headers, limit="3")
    prefixed, _ = await usernames(request_client, headers, username="ann", limit="2")
    # `_` is a literal here, not a LIKE wildcard.
    underscore, _ = await usernames(request_client, headers, username="an_")
    inactive, _ = await usernames(request_client, headers, active="false")
    operators, _ = await usernames(request_client, headers, role="operator", username="an")

    assert everyone == ["an_x", "andy", "ann", "anna", "annie", "anya", "bob", "root"]
    assert sizes == [3, 3, 2]
    assert prefixed == ["ann", "anna", "annie"]
    assert underscore == ["an_x"]
    assert inactive == ["andy"]
    assert operators == ["anya"]


async def test_one_user_shows_the_synced_fields_never_the_password_hash(
    replica_user: ReplicaUserFactory,
    root: User,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    alice = await replica_user("alice")

    one = await request_client.get(f"/admin/users/{alice.id}", headers=auth(root))
    listed = await request_client.get("/admin/users", headers=auth(root))

    assert one.status_code == 200, one.text
    assert (one.json()["id"], one.json()["username"], one.json()["role"]) == (
        str(alice.id),
        "alice",
        "user",
    )
    assert alice.password_hash
    for shown in (one.json(), *listed.json()["items"]):
        assert "password_hash" not in shown
        assert alice.password_hash not in str(shown)


async def test_unknown_ids_bad_cursors_and_bad_filters_are_4xx_with_a_code(
    root: User, request_client: httpx.AsyncClient, auth: Callable[[User], Headers]
) -> None:
    headers = auth(root)

    unknown = await request_client.get(f"/admin/users/{uuid.uuid4()}", headers=headers)
    not_an_id = await request_client.get("/admin/users/nope", headers=headers)
    forged = await request_client.get("/admin/users?cursor=bm9wZQ", headers=headers)
    too_long = await request_client.get(
        "/admin/users", params={"username": "a" * 65}, headers=headers
    )
    nul = await request_client.get("/admin/users", params={"username": "a\x00"}, headers=headers)
    role = await request_client.get("/admin/users?role=king", headers=headers)

    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found.user")
    assert (forged.status_code, forged.json()["code"]) == (422, "invalid.cursor")
    for refused in (not_an_id, too_long, nul, role):
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid.request")


async def test_users_and_operators_may_not_read_users(
    replica_user: ReplicaUserFactory,
    root: User,
    request_client: httpx.AsyncClient,
    auth: Callable[[User], Headers],
) -> None:
    for role in ("user", "operator"):
        caller = await replica_user(f"a-{role}", role=role)
        listed = await request_client.get("/admin/users", headers=auth(caller))
        one = await request_client.get(f"/admin/users/{root.id}", headers=auth(caller))
        assert (listed.status_code, listed.json()["code"]) == (403, "forbidden.role")
        assert (one.status_code, one.json()["code"]) == (403, "forbidden.role")
