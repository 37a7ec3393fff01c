"""Password, token and API-key primitives; no knowledge of users or roles."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

JWT_ALGORITHM = "HS256"
API_KEY_PREFIX = "ak_"

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


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    issuer: str
    audience: str
    expires_at: datetime
    token_id: str


def create_token(
    *, subject: str, secret: str, issuer: str, audience: str, ttl: timedelta
) -> tuple[str, TokenClaims]:
    now = datetime.now(UTC).replace(microsecond=0)  # JWT times are whole seconds
    claims = TokenClaims(subject, issuer, audience, now + ttl, uuid.uuid4().hex)
    payload: dict[str, Any] = {
        "sub": subject,
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
        "jti": claims.token_id,
    }
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
    )


def generate_api_key() -> tuple[str, str, str]:
    """Returns (secret shown once, prefix for recognition, SHA-256 to store)."""
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[: len(API_KEY_PREFIX) + 8], hash_api_key(secret)


def hash_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())
