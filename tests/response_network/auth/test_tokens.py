"""Bearer tokens and API keys: what the response network accepts, and everything it refuses."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select

from core.db import utcnow
from core.runtime import Runtime
from core.security import TokenIssuer, create_token, generate_api_key
from response_network.api_keys.models import ApiKey
from response_network.runtime import ResponseRuntime
from response_network.users.models import User
from tests.response_network.conftest import UserFactory
from tests.response_network.identity import bearer


def _claims(user: User, issuer: TokenIssuer) -> dict[str, object]:
    return {
        "sub": str(user.id),
        "iss": issuer.issuer,
        "aud": issuer.audience,
        "iat": 1,
        "exp": 4_102_444_800,
        "jti": "x",
    }


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "00000000-0000-0000-0000-000000000000"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


async def _refused(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    answer = await client.get("/users/me", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    return str(answer.json()["code"])


async def test_bad_tokens_are_401_with_a_bearer_challenge(
    response_client: httpx.AsyncClient, make_user: UserFactory, tokens: TokenIssuer
) -> None:
    user = await make_user("alice")
    good, _ = tokens.issue(str(user.id))
    unsigned = jwt.encode(_claims(user, tokens), key="", algorithm="none")
    other_algorithm = jwt.encode(_claims(user, tokens), tokens.secret, algorithm="HS512")
    expired, _ = create_token(
        subject=str(user.id),
        secret=tokens.secret,
        issuer=tokens.issuer,
        audience=tokens.audience,
        ttl=timedelta(seconds=-1),
    )
    other_secret = jwt.encode(_claims(user, tokens), "k" * 40, algorithm="HS256")

    assert (await response_client.get("/users/me", headers=bearer(good))).status_code == 200
    assert await _refused(response_client, {}) == "unauthorized.missing"
    assert await _refused(response_client, bearer("not-a-token")) == "unauthorized.token"
    assert await _refused(response_client, bearer(unsigned)) == "unauthorized.token"
    assert await _refused(response_client, bearer(other_algorithm)) == "unauthorized.token"
    assert await _refused(response_client, bearer(other_secret)) == "unauthorized.token"
    assert await _refused(response_client, bearer(_tampered(good))) == "unauthorized.token"
    assert await _refused(response_client, bearer(expired)) == "unauthorized.token_expired"


async def _insert_key(runtime: Runtime[Any], user: User, **fields: object) -> str:
    secret, prefix, digest = generate_api_key()
    async with runtime.unit_of_work() as uow:
        uow.session.add(
            ApiKey(user_id=user.id, name="k", prefix=prefix, secret_hash=digest, **fields)
        )
    return secret


@pytest.mark.parametrize("header", ["x-api-key", "authorization"])
async def test_api_key_authenticates_in_either_header(
    header: str,
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    make_user: UserFactory,
) -> None:
    user = await make_user("robot")
    secret = await _insert_key(response_runtime, user)
    headers = {"x-api-key": secret} if header == "x-api-key" else bearer(secret)

    me = await response_client.get("/users/me", headers=headers)

    assert me.status_code == 200
    assert me.json()["username"] == "robot"
    async with response_runtime.unit_of_work() as uow:
        [key] = (await uow.session.scalars(select(ApiKey))).all()
    assert key.last_used_at is not None


async def test_revoked_expired_unknown_keys_and_keys_of_inactive_users_are_401(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    user = await make_user("robot")
    inactive = await make_user("retired", active=False)
    revoked = await _insert_key(response_runtime, user, revoked_at=utcnow())
    expired = await _insert_key(response_runtime, user, expires_at=utcnow() - timedelta(1))
    orphaned = await _insert_key(response_runtime, inactive)
    unknown, _, _ = generate_api_key()

    for secret in (revoked, expired, orphaned, unknown, "ak_" + "x" * 500):
        assert await _refused(response_client, {"x-api-key": secret}) == "unauthorized.api_key"
