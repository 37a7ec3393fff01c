"""Everyone the security suite sends at a network: tokens of each role, keys of each scope,
and credentials every guarded route must refuse. Made once per app, without argon2 (no
account here has a password: nothing logs in)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import jwt
from fastapi import FastAPI
from sqlalchemy import select

from core.db import utcnow
from core.security import TokenIssuer, create_token, generate_api_key
from request_network.app import create_app as create_request_app
from request_network.auth.service import build_token_issuer as build_request_issuer
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.api_keys.models import ApiKey as ResponseApiKey
from response_network.app import create_app as create_response_app
from response_network.auth.service import build_token_issuer as build_response_issuer
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.users.models import User as ResponseUser
from shared.scopes import Scope
from tests.request_network.catalog.test_submissions import replica_profile, replica_type
from tests.request_network.replica import insert_api_key, insert_user
from tests.security.routes import ADMIN, OPERATOR, USER


@dataclass
class Cast:
    """Everyone who calls one network's routes, as request headers by case name."""

    roles: dict[str, dict[str, str]] = field(default_factory=dict)
    """By role: a login token of a user of that role."""
    users_key: dict[str, str] = field(default_factory=dict)
    """A plain user's key without scopes: the reach of the role, no session."""
    refused: dict[str, tuple[dict[str, str], tuple[int, str]]] = field(default_factory=dict)
    """Credentials every guarded route refuses, with the refusal."""
    only: dict[str, dict[str, str]] = field(default_factory=dict)
    """By scope: an admin's key holding that scope alone."""
    all_but: dict[str, dict[str, str]] = field(default_factory=dict)
    """By scope: an admin's key holding every scope of the network but that one."""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def key(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


def forged_tokens(tokens: TokenIssuer, subject: str, other: str) -> dict[str, str]:
    """Tokens naming `subject` that this network's issuer must refuse."""
    now = int(utcnow().timestamp())
    claims = {"sub": subject, "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    others = TokenIssuer(
        secret=generate_api_key()[0], issuer=other, audience=f"airlock-{other}", ttl=tokens.ttl
    )
    return {
        "expired token": create_token(
            subject=subject,
            secret=tokens.secret,
            issuer=tokens.issuer,
            audience=tokens.audience,
            ttl=timedelta(seconds=-1),
        )[0],
        "alg none token": jwt.encode(
            claims | {"iss": tokens.issuer, "aud": tokens.audience}, "", algorithm="none"
        ),
        "other network's token": others.issue(subject)[0],
        "other audience, this key": jwt.encode(
            claims | {"iss": other, "aud": f"airlock-{other}"}, tokens.secret, algorithm="HS256"
        ),
    }


async def cast_of(
    *,
    client: httpx.AsyncClient,
    tokens: TokenIssuer,
    other: str,
    scopes: list[str],
    add_user: Callable[..., Awaitable[Any]],
    add_key: Callable[..., Awaitable[str]],
) -> Cast:
    cast = Cast()
    for role in (USER, OPERATOR, ADMIN):
        user = await add_user(f"as-{role}", role=role)
        cast.roles[role] = bearer(tokens.issue(str(user.id))[0])
        if role == USER:
            cast.users_key = key(await add_key(user))
    admin = await add_user("root", role=ADMIN)
    gone = await add_user("gone", role=ADMIN, active=False)
    logged_out = tokens.issue(str(admin.id))[0]
    assert (await client.post("/auth/logout", headers=bearer(logged_out))).status_code == 204
    bad_token = (401, "unauthorized.token")
    bad_key = (401, "unauthorized.api_key")
    forged = forged_tokens(tokens, str(admin.id), other)
    cast.refused = {
        "expired token": (bearer(forged["expired token"]), (401, "unauthorized.token_expired")),
        "alg none token": (bearer(forged["alg none token"]), bad_token),
        "other network's token": (bearer(forged["other network's token"]), bad_token),
        "other audience, this key": (bearer(forged["other audience, this key"]), bad_token),
        "logged-out token": (bearer(logged_out), (401, "unauthorized.token_revoked")),
        "revoked key": (key(await add_key(admin, revoked=True)), bad_key),
        "deactivated user's token": (bearer(tokens.issue(str(gone.id))[0]), bad_token),
        "deactivated user's key": (key(await add_key(gone)), bad_key),
    }
    for scope in scopes:
        cast.only[scope] = key(await add_key(admin, scopes=[scope]))
        rest = [other_scope for other_scope in scopes if other_scope != scope]
        cast.all_but[scope] = key(await add_key(admin, scopes=rest))
    return cast


def secret_of(headers: dict[str, str]) -> str:
    """The token or key the headers carry (what a console cookie would hold)."""
    return headers.get("X-API-Key") or headers["Authorization"].removeprefix("Bearer ")


@dataclass
class Network:
    """One network's app, a client of it in process, its cast, and an object its user owns."""

    app: FastAPI
    client: httpx.AsyncClient
    tokens: TokenIssuer
    cast: Cast
    owner: dict[str, str]
    """A plain user's token: the owner of `owned`."""
    owned: str
    """The id of an object `owner` owns (a request, or an API key on the response network)."""


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@asynccontextmanager
async def response_network(
    settings: ResponseSettings, runtime: ResponseRuntime
) -> AsyncIterator[Network]:
    async def add_user(username: str, *, role: str, active: bool = True) -> ResponseUser:
        async with runtime.unit_of_work() as uow:
            user = ResponseUser(
                username=username,
                email=f"{username}@example.org",
                role=role,
                active=active,
                password_hash=None,
                version=1,
            )
            uow.session.add(user)
        return user

    async def add_key(
        user: ResponseUser, *, revoked: bool = False, scopes: list[str] | None = None
    ) -> str:
        secret, prefix, digest = generate_api_key()
        async with runtime.unit_of_work() as uow:
            uow.session.add(
                ResponseApiKey(
                    user_id=user.id,
                    name="matrix",
                    prefix=prefix,
                    secret_hash=digest,
                    scopes=scopes,
                    revoked_at=utcnow() if revoked else None,
                )
            )
        return secret

    app = create_response_app(settings, runtime)
    tokens = build_response_issuer(settings)
    scopes = [Scope.REQUESTS_ANSWER.value, Scope.API_KEYS.value, Scope.ADMIN.value]
    async with serving(app) as client:
        cast = await cast_of(
            client=client,
            tokens=tokens,
            other="request",
            scopes=scopes,
            add_user=add_user,
            add_key=add_key,
        )
        owner = await add_user("owner", role=USER)
        await add_key(owner)
        async with runtime.unit_of_work() as uow:
            key_id = await uow.session.scalar(
                select(ResponseApiKey.id).where(ResponseApiKey.user_id == owner.id)
            )
        owner_token = bearer(tokens.issue(str(owner.id))[0])
        yield Network(app, client, tokens, cast, owner_token, str(key_id))


@asynccontextmanager
async def request_network(
    settings: RequestSettings, runtime: RequestRuntime
) -> AsyncIterator[Network]:
    async def add_user(username: str, *, role: str, active: bool = True) -> Any:
        return await insert_user(runtime, username, password_hash=None, role=role, active=active)

    async def add_key(user: Any, **fields: Any) -> str:
        return await insert_api_key(runtime, user, **fields)

    async with runtime.unit_of_work() as uow:
        uow.session.add_all([replica_type("weather"), replica_profile(allow_all=True)])
    app = create_request_app(settings, runtime)
    tokens = build_request_issuer(settings)
    scopes = [Scope.REQUESTS_READ.value, Scope.REQUESTS_WRITE.value, Scope.ADMIN.value]
    async with serving(app) as client:
        cast = await cast_of(
            client=client,
            tokens=tokens,
            other="response",
            scopes=scopes,
            add_user=add_user,
            add_key=add_key,
        )
        owner = bearer(tokens.issue(str((await add_user("owner", role=USER)).id))[0])
        submitted = await client.post(
            "/requests",
            headers=owner,
            json={"request_type": "weather", "parameters": {"city": "Oslo"}},
        )
        assert submitted.status_code == 201, submitted.text
        yield Network(app, client, tokens, cast, owner, submitted.json()["id"])
