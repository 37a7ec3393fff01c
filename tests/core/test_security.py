"""Password and token primitives."""

from __future__ import annotations

from datetime import timedelta

import bcrypt
import jwt
import pytest

from core.security import (
    create_token,
    decode_token,
    generate_api_key,
    hash_api_key,
    hash_password,
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
