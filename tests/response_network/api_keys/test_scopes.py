"""API key scopes on the response network: named when the key is made, enforced on every route.

Unknown names are refused at creation; a key cannot mint a key that reaches further than
itself; a login token is never restricted.
"""

from __future__ import annotations

import httpx

from core.security import TokenIssuer
from response_network.users.models import Role
from tests.response_network.conftest import UserFactory
from tests.response_network.identity import bearer


async def make_key(
    client: httpx.AsyncClient, headers: dict[str, str], scopes: list[str] | None
) -> dict[str, str]:
    created = await client.post(
        "/users/me/api-keys", json={"name": "k", "scopes": scopes}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["scopes"] == scopes
    return {"X-API-Key": created.json()["secret"]}


def refused_for(answer: httpx.Response, scope: str) -> bool:
    body = answer.json()
    return (
        answer.status_code == 403 and body["code"] == "forbidden.scope" and scope in body["detail"]
    )


async def test_unknown_or_empty_scopes_are_refused_at_creation(
    response_client: httpx.AsyncClient, make_user: UserFactory, tokens: TokenIssuer
) -> None:
    user = await make_user("alice")
    headers = bearer(tokens.issue(str(user.id))[0])

    answers = [
        await response_client.post(
            "/users/me/api-keys", json={"name": "k", "scopes": scopes}, headers=headers
        )
        for scopes in (["requests:read", "everything"], [], ["ADMIN"])
    ]

    assert [answer.status_code for answer in answers] == [422, 422, 422]
    listed = await response_client.get("/users/me/api-keys", headers=headers)
    assert listed.json() == []


async def test_an_operator_key_answers_only_with_the_answer_scope(
    response_client: httpx.AsyncClient, make_user: UserFactory, tokens: TokenIssuer
) -> None:
    operator = await make_user("olga", role=Role.OPERATOR)
    token = bearer(tokens.issue(str(operator.id))[0])
    answering = await make_key(response_client, token, ["requests:answer"])
    reading = await make_key(response_client, token, ["requests:read"])

    queue = await response_client.get("/requests", headers=answering)
    refused = await response_client.get("/requests", headers=reading)
    my_keys = await response_client.get("/users/me/api-keys", headers=answering)
    me = await response_client.get("/users/me", headers=reading)
    by_token = await response_client.get("/users/me/api-keys", headers=token)

    assert queue.status_code == 200
    assert refused_for(refused, "requests:answer"), refused.text
    assert refused_for(my_keys, "api-keys"), my_keys.text
    assert me.json()["username"] == "olga"
    assert len(by_token.json()) == 2


async def test_a_key_mints_keys_only_within_its_own_scopes(
    response_client: httpx.AsyncClient, make_user: UserFactory, tokens: TokenIssuer
) -> None:
    user = await make_user("kim")
    keys = await make_key(response_client, bearer(tokens.issue(str(user.id))[0]), ["api-keys"])

    unscoped = await response_client.post("/users/me/api-keys", json={"name": "x"}, headers=keys)
    wider = await response_client.post(
        "/users/me/api-keys",
        json={"name": "x", "scopes": ["api-keys", "requests:read"]},
        headers=keys,
    )
    same = await response_client.post(
        "/users/me/api-keys", json={"name": "x", "scopes": ["api-keys"]}, headers=keys
    )

    assert (unscoped.status_code, unscoped.json()["code"]) == (403, "forbidden.scope")
    assert (wider.status_code, wider.json()["code"]) == (403, "forbidden.scope")
    assert same.status_code == 201, same.text
