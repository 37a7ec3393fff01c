"""Password and token primitives."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import bcrypt
import jwt
import pytest

from core.cache import InProcessCache
from core.security import (
    LoginThrottle,
    ThrottlePolicy,
    TokenIssuer,
    create_token,
    decode_token,
    generate_api_key,
    hash_api_key,
    hash_password,
    looks_like_api_key,
    password_policy_violation,
    verify_password,
)


def test_argon2id_round_trip() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password("correct horse battery", hashed) == (True, None)
    assert verify_password("wrong horse battery", hashed)[0] is False


def test_bcrypt_hash_verifies_and_asks_for_a_rehash() -> None:
    legacy = bcrypt.hashpw(b"old password here", bcrypt.gensalt(rounds=4)).decode()
    valid, updated = verify_password("old password here", legacy)
    assert valid is True
    assert updated is not None
    assert updated.startswith("$argon2id$")


def test_unknown_user_and_garbage_hash_are_refused() -> None:
    assert verify_password("anything", None) == (False, None)
    assert verify_password("anything", "not-a-hash") == (False, None)


def test_tokens_are_bound_to_issuer_and_audience() -> None:
    token, claims = create_token(
        subject="u1", secret="s" * 32, issuer="response", audience="response", ttl=timedelta(1)
    )
    decoded = decode_token(token, secret="s" * 32, issuer="response", audience="response")
    assert decoded == claims
    with pytest.raises(jwt.InvalidIssuerError):
        decode_token(token, secret="s" * 32, issuer="request", audience="response")
    with pytest.raises(jwt.InvalidSignatureError):
        decode_token(token, secret="t" * 32, issuer="response", audience="response")


def test_expired_and_unsigned_tokens_are_refused() -> None:
    expired, _ = create_token(
        subject="u1", secret="s" * 32, issuer="r", audience="r", ttl=timedelta(seconds=-5)
    )
    with pytest.raises(jwt.ExpiredSignatureError):
        decode_token(expired, secret="s" * 32, issuer="r", audience="r")
    unsigned = jwt.encode({"sub": "u1", "iss": "r", "aud": "r"}, "", algorithm="none")
    with pytest.raises(jwt.InvalidAlgorithmError):
        decode_token(unsigned, secret="s" * 32, issuer="r", audience="r")


def test_api_keys_are_prefixed_and_stored_hashed() -> None:
    secret, prefix, digest = generate_api_key()
    assert secret.startswith("ak_")
    assert secret.startswith(prefix)
    assert digest == hash_api_key(secret)
    assert secret not in digest


def test_api_keys_are_recognised_by_their_prefix() -> None:
    secret, _, _ = generate_api_key()
    assert looks_like_api_key(secret)
    assert not looks_like_api_key("eyJhbGciOiJIUzI1NiJ9.e30.x")


def test_token_issuer_refuses_a_short_secret_and_round_trips() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        TokenIssuer(secret="short", issuer="r", audience="a", ttl=timedelta(minutes=1))
    issuer = TokenIssuer(secret="s" * 32, issuer="r", audience="a", ttl=timedelta(minutes=1))
    token, claims = issuer.issue("u1")
    assert issuer.read(token) == claims
    assert "s" * 32 not in repr(issuer)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("eleven char", "at least 12"),
        ("x" * 1025, "at most 1024"),
        (" " * 12, "blank"),
        ("Alice.Example", "username"),
        ("alice@example.org", "email"),
        ("a fine long passphrase", None),
    ],
)
def test_password_policy(password: str, problem: str | None) -> None:
    found = password_policy_violation(password, personal=("alice.example", "ALICE@example.org"))
    assert (found is None) == (problem is None)
    if problem is not None:
        assert found is not None
        assert problem in found


def test_login_waits_double_from_the_last_free_try_up_to_the_cap() -> None:
    policy = ThrottlePolicy(max_failures=3, delay=1.5, max_delay=10)
    waits = [policy.delay_after(attempt) for attempt in (3, 4, 5, 6, 7, 10_000)]
    assert waits == [1.5, 3, 6, 10, 10, 10]


async def test_login_throttle_counts_per_pair_and_per_address() -> None:
    throttle = LoginThrottle(
        InProcessCache("t"), ThrottlePolicy(max_failures=3, delay=60, address_max_failures=5)
    )
    tries = [await throttle.admit(username="alice", address="10.0.0.1") for _ in range(4)]
    assert tries == [None, None, None, 60]  # the third took the turn: the fourth waits
    assert await throttle.admit(username="Alice", address="10.0.0.1") == 60
    assert await throttle.admit(username="alice", address="10.0.0.2") is None
    assert await throttle.admit(username="bob", address="10.0.0.1") is None

    await throttle.succeeded(username="alice", address="10.0.0.1")
    assert await throttle.admit(username="alice", address="10.0.0.1") is None
    assert await throttle.admit(username="carol", address="10.0.0.1") is None  # the 5th failure
    refused = await throttle.admit(username="dave", address="10.0.0.1")
    assert refused is not None
    assert 0 < refused <= 15 * 60
    assert await throttle.admit(username="dave", address=None) is None


class RemoteCache(InProcessCache):
    """Every step yields to the event loop first, as a network round trip to Redis does: racing
    tries interleave between their steps instead of running each to the end."""

    async def ttl(self, key: str) -> float | None:
        await asyncio.sleep(0)
        return await super().ttl(key)

    async def incr(self, key: str, *, ttl: float, amount: int = 1) -> int:
        await asyncio.sleep(0)
        return await super().incr(key, ttl=ttl, amount=amount)

    async def add(self, key: str, value: bytes, *, ttl: float) -> bool:
        await asyncio.sleep(0)
        return await super().add(key, value, ttl=ttl)

    async def expire(self, key: str, *, ttl: float) -> None:
        await asyncio.sleep(0)
        await super().expire(key, ttl=ttl)


async def test_racing_tries_leave_the_count_exact_for_the_tries_after_them() -> None:
    throttle = LoginThrottle(RemoteCache("t"), ThrottlePolicy(max_failures=2, delay=0.05))
    tries = await asyncio.gather(
        *(throttle.admit(username="alice", address=None) for _ in range(20))
    )
    assert tries.count(None) == 2

    # The turn ends; the next try takes the next one, and the try after it must wait: the 18
    # losers' refunds took back their own counts only, not the two that were admitted.
    deadline = time.monotonic() + 10
    while await throttle.admit(username="alice", address=None) is not None:
        assert time.monotonic() < deadline, "the wait never ended"
        await asyncio.sleep(0.01)
    assert await throttle.admit(username="alice", address=None) == 1


class LastCountedBidsFirst(InProcessCache):
    """Holds every bid for the turn until `bids` are waiting, then lets them in latest-counted
    first: the race in which a try counted later reaches the turn before the earlier ones."""

    def __init__(self, namespace: str, *, bids: int) -> None:
        super().__init__(namespace)
        self._bids = bids
        self._waiting: list[asyncio.Future[None]] = []

    async def add(self, key: str, value: bytes, *, ttl: float) -> bool:
        bid = asyncio.get_running_loop().create_future()
        self._waiting.append(bid)
        if len(self._waiting) == self._bids:
            for waiting in reversed(self._waiting):
                waiting.set_result(None)
        await bid
        return await super().add(key, value, ttl=ttl)


async def test_the_first_turn_waits_the_base_delay_whichever_racing_try_takes_it() -> None:
    # Ten tries with three free: tries 3 to 10 bid for the turn and the 10th gets it.
    cache = LastCountedBidsFirst("t", bids=8)
    throttle = LoginThrottle(cache, ThrottlePolicy(max_failures=3, delay=60, max_delay=900))
    tries = await asyncio.gather(
        *(throttle.admit(username="alice", address=None) for _ in range(10))
    )
    assert tries == [None, None] + [60] * 7 + [None]
    assert await throttle.admit(username="alice", address=None) == 60


async def test_a_waiting_pair_is_remembered_past_the_window_so_its_waits_keep_growing() -> None:
    policy = ThrottlePolicy(max_failures=2, delay=0.3, window=0.2)
    throttle = LoginThrottle(InProcessCache("t"), policy)
    assert await throttle.admit(username="alice", address="10.0.0.1") is None
    assert await throttle.admit(username="alice", address="10.0.0.1") is None  # waits 0.3 s
    deadline = time.monotonic() + 10
    while await throttle.admit(username="alice", address="10.0.0.1") is not None:
        assert time.monotonic() < deadline, "the wait never ended"
        await asyncio.sleep(0.02)

    # Past the 0.2 s window, yet the third try took a 0.6 s turn: the fourth waits.
    assert await throttle.admit(username="alice", address="10.0.0.1") == 1


def test_a_verified_token_is_remembered_only_until_it_expires() -> None:
    issuer = TokenIssuer(secret="s" * 32, issuer="request", audience="a", ttl=timedelta(seconds=1))
    token, claims = issuer.issue("user-1")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    assert issuer.read(token) == claims
    assert issuer.read(token) == claims
    with pytest.raises(jwt.InvalidTokenError):
        issuer.read(tampered)
    time.sleep(max(0.0, (claims.expires_at - datetime.now(UTC)).total_seconds()) + 0.05)
    with pytest.raises(jwt.ExpiredSignatureError):
        issuer.read(token)
    with pytest.raises(jwt.ExpiredSignatureError):
        issuer.read(token)
