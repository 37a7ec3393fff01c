"""Logged-out tokens are kept exactly as long as the tokens would have lived."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.db import utcnow
from response_network.auth.models import RevokedToken
from response_network.runtime import ResponseRuntime


async def test_a_revocation_lasts_until_its_token_expires_then_goes(
    backend: str, response_runtime: ResponseRuntime
) -> None:
    store = response_runtime.revocations
    async with response_runtime.unit_of_work() as uow:
        # A row left by a token that has expired since (the embedded table).
        uow.session.add(RevokedToken(token_id="expired", expires_at=utcnow() - timedelta(1)))
    async with response_runtime.unit_of_work() as uow:
        first = await store.revoke(
            session=uow.session, token_id="live", expires_at=utcnow() + timedelta(seconds=30)
        )
        again = await store.revoke(
            session=uow.session, token_id="live", expires_at=utcnow() + timedelta(seconds=30)
        )
        dead = await store.revoke(
            session=uow.session, token_id="dead", expires_at=utcnow() - timedelta(seconds=1)
        )

    assert (first, again, dead) == (True, False, False)
    assert await store.is_revoked("live")
    assert not await store.is_revoked("dead")
    async with response_runtime.unit_of_work() as uow:
        rows = set((await uow.session.scalars(select(RevokedToken.token_id))).all())
    if backend == "embedded":
        assert rows == {"live"}  # the expired row was pruned by the next revocation
    else:
        assert rows == {"expired"}  # untouched: production keeps revocations in Redis only
        left = await response_runtime.cache.ttl("revoked:live")
        assert left is not None
        assert 0 < left <= 30
