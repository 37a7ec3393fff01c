"""Password, token and API-key primitives and the login throttle; no users, no roles."""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

from core.cache import Cache

JWT_ALGORITHM = "HS256"
API_KEY_PREFIX = "ak_"
MIN_SECRET_LENGTH = 32
"""RFC 7518 §3.2: an HS256 key must be at least as long as the hash output."""
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024

# OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane. bcrypt only verifies old hashes.
_password_hash = PasswordHash(
    (Argon2Hasher(memory_cost=19_456, time_cost=2, parallelism=1), BcryptHasher())
)
_DUMMY_HASH = _password_hash.hash("not-a-real-password-but-a-timing-guard")


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """Check a password; returns (valid, new hash to store when the old one is outdated).

    With no stored hash a dummy is verified, so an unknown user costs the same time.
    """
    if not password_hash:
        _password_hash.verify(password, _DUMMY_HASH)
        return False, None
    try:
        return _password_hash.verify_and_update(password, password_hash)
    except Exception:
        return False, None


def generate_password(length: int = 20) -> str:
    return secrets.token_urlsafe(length)[:length]


def password_policy_violation(
    password: str, *, personal: Iterable[str], min_length: int = PASSWORD_MIN_LENGTH
) -> str | None:
    """Why `password` is refused, or None. `personal`: values it must not equal (username...)."""
    if len(password) < min_length:
        return f"password must be at least {min_length} characters long"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"password must be at most {PASSWORD_MAX_LENGTH} characters long"
    if not password.strip():
        return "password must not be blank"
    folded = password.casefold()
    if any(value and folded == value.casefold() for value in personal):
        return "password must not equal the username or the email address"
    return None


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    issuer: str
    audience: str
    expires_at: datetime
    token_id: str
    stamp: str | None = None
    """What the subject's credentials were stamped with when the token was issued (the
    `stamp` claim; absent: None). The token is good only while they still carry it."""


def create_token(
    *,
    subject: str,
    secret: str,
    issuer: str,
    audience: str,
    ttl: timedelta,
    stamp: str | None = None,
) -> tuple[str, TokenClaims]:
    now = datetime.now(UTC).replace(microsecond=0)  # JWT times are whole seconds
    claims = TokenClaims(subject, issuer, audience, now + ttl, uuid.uuid4().hex, stamp)
    payload: dict[str, Any] = {
        "sub": subject,
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
        "jti": claims.token_id,
    }
    if stamp is not None:
        payload["stamp"] = stamp
    return jwt.encode(payload, secret, algorithm=JWT_ALGORITHM), claims


def decode_token(token: str, *, secret: str, issuer: str, audience: str) -> TokenClaims:
    """Raises `jwt.InvalidTokenError` for anything but a valid token of this issuer."""
    payload = jwt.decode(
        token,
        secret,
        algorithms=[JWT_ALGORITHM],
        issuer=issuer,
        audience=audience,
        options={"require": ["sub", "iss", "aud", "exp", "iat", "jti"]},
    )
    return TokenClaims(
        subject=str(payload["sub"]),
        issuer=str(payload["iss"]),
        audience=str(payload["aud"]),
        expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
        token_id=str(payload["jti"]),
        stamp=str(payload["stamp"]) if payload.get("stamp") is not None else None,
    )


@dataclass(frozen=True)
class TokenIssuer:
    """One network's access tokens: its own secret, issuer and audience. Built once per app."""

    secret: str = field(repr=False)
    issuer: str
    audience: str
    ttl: timedelta
    _verified: dict[str, TokenClaims] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Tokens this issuer already verified, until they expire: verifying a JWT costs more
    than the rest of a cached read. Only a token that passed `decode_token` gets here."""

    MAX_VERIFIED = 10_000

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"token secret must be at least {MIN_SECRET_LENGTH} characters")

    def issue(self, subject: str, *, stamp: str | None = None) -> tuple[str, TokenClaims]:
        return create_token(
            subject=subject,
            secret=self.secret,
            issuer=self.issuer,
            audience=self.audience,
            ttl=self.ttl,
            stamp=stamp,
        )

    def read(self, token: str) -> TokenClaims:
        """Raises `jwt.InvalidTokenError` unless the token is this issuer's, intact and live."""
        known = self._verified.get(token)
        if known is not None:
            if known.expires_at > datetime.now(UTC):
                return known
            del self._verified[token]
            raise jwt.ExpiredSignatureError("Signature has expired")
        claims = decode_token(token, secret=self.secret, issuer=self.issuer, audience=self.audience)
        if len(self._verified) >= self.MAX_VERIFIED:
            self._verified.clear()  # many distinct tokens: start over rather than grow
        self._verified[token] = claims
        return claims


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith(API_KEY_PREFIX)


def generate_api_key() -> tuple[str, str, str]:
    """Returns (secret shown once, prefix for recognition, SHA-256 to store)."""
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[: len(API_KEY_PREFIX) + 8], hash_api_key(secret)


def hash_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class ThrottlePolicy:
    """The login throttle's numbers (see docs/identity.md, "Login throttling")."""

    max_failures: int = 5
    """Tries of one username from one address before each further try waits its turn."""
    delay: float = 1.0
    """Seconds the `max_failures`-th try blocks the next; each later try doubles it."""
    max_delay: float = 900.0
    address_max_failures: int = 100
    """Failed tries from one address, any usernames, before the address waits out the window."""
    window: float = 900.0
    """Seconds a count lives: from an address's first failure; for a pair, from its first
    failure, and once it waits, from the end of its latest wait."""

    def delay_after(self, attempt: int) -> float:
        """The wait the `attempt`-th try (at least `max_failures`) of a pair imposes."""
        doublings = min(attempt - self.max_failures, 64)
        return min(self.max_delay, math.ldexp(self.delay, doublings))


_PAIR_PREFIX = "login:pair:"


class LoginThrottle:
    """Slows password guessing per (username, address) and per address; never locks a
    username out everywhere, so an attacker elsewhere cannot keep its owner out.

    Every try is counted before its password is checked, each count one atomic step of the
    cache (a Redis transaction; in process, one step of the event loop), so racing tries
    cannot all pass as "under the limit". A refused try costs a few cache reads, no hash.
    Backed by the runtime's cache: every API replica shares the counts in production.
    """

    def __init__(self, cache: Cache, policy: ThrottlePolicy | None = None) -> None:
        self._cache = cache
        self.policy = policy or ThrottlePolicy()

    @staticmethod
    def _user_prefix(username: str) -> str:
        digest = hashlib.sha256(username.casefold().encode()).hexdigest()[:32]
        return f"{_PAIR_PREFIX}{digest}:"

    @staticmethod
    def _keys(*, username: str, address: str | None) -> tuple[str, str | None]:
        # Hashed: any username or forwarded address becomes a short, safe key.
        def digest(*parts: str) -> str:
            return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]

        # The pair's key starts with the username's digest, so `forget` finds all its pairs.
        folded = username.casefold()
        pair = f"{_PAIR_PREFIX}{digest(folded)}:{digest(folded, address or '')}"
        return pair, f"login:addr:{digest(address)}" if address else None

    async def _seconds_left(self, key: str) -> int:
        return max(1, math.ceil(await self._cache.ttl(key) or 1))

    async def admit(self, *, username: str, address: str | None) -> int | None:
        """Count a try of `username` from `address`: None when it may check its password,
        else the seconds to wait (nothing counted). Report a good password to `succeeded`."""
        pair, address_key = self._keys(username=username, address=address)
        turn = f"{pair}:turn"
        policy = self.policy
        if await self._cache.ttl(turn) is not None:
            return await self._seconds_left(turn)
        if address_key is not None:
            if int(await self._cache.peek(address_key) or 0) >= policy.address_max_failures:
                return await self._seconds_left(address_key)
            if await self._cache.incr(address_key, ttl=policy.window) > policy.address_max_failures:
                return await self._seconds_left(address_key)
        attempt = await self._cache.incr(pair, ttl=policy.window)
        if attempt < policy.max_failures:
            return None
        # Past the free tries one try at a time: it takes the pair's turn for a delay doubling
        # with each turn taken before (not with its own count: in a race a try counted later
        # may reach the turn first). Count and turns outlive the turn by the window, so
        # persistence reaches the cap.
        turns = f"{pair}:turns"
        taken = int(await self._cache.peek(turns) or 0)
        delay = policy.delay_after(policy.max_failures + taken)
        if await self._cache.add(turn, b"1", ttl=delay):
            # Only expiries move: racing tries counted since must still refund their own.
            await self._cache.incr(turns, ttl=policy.window + delay)
            await self._cache.expire(turns, ttl=policy.window + delay)
            await self._cache.expire(pair, ttl=policy.window + delay)
            return None
        await self._refund(pair, address_key)  # lost the race for the turn: never tried
        return await self._seconds_left(turn)

    async def _refund(self, pair: str | None, address_key: str | None) -> None:
        window = self.policy.window
        if pair is not None:
            await self._cache.incr(pair, ttl=window, amount=-1)
        if address_key is not None:
            await self._cache.incr(address_key, ttl=window, amount=-1)

    async def succeeded(self, *, username: str, address: str | None) -> None:
        """Forget the pair's failures and waits; the address count drops this try only (a
        good password for one account must not unlock guessing at others from there)."""
        pair, address_key = self._keys(username=username, address=address)
        await self._cache.delete(pair, f"{pair}:turn", f"{pair}:turns")
        await self._refund(None, address_key)

    async def forget(self, *, username: str) -> None:
        """Forget the failures and waits of `username` from every address (its password just
        changed); the addresses' own counts stay."""
        await self._cache.delete_prefix(self._user_prefix(username))
