"""Install the network's Ed25519 keys handed over in the environment, before a process starts.

Split from `core.entrypoint` (which calls it from `prepare`): reading the key variables,
writing the key files atomically and checking that what is on disk fits together. Every
failure is one `PrepareFailed` line saying what to fix.
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.process import PrepareFailed

SIGNING_KEY_ENV = "AIRLOCK_SIGNING_KEY"
"""This network's Ed25519 private key: base64 of its PEM (or DER) file."""
PUBLIC_KEY_ENV = "AIRLOCK_PUBLIC_KEY"
"""This network's public key, one line: `airlock-ed25519 <base64>`."""
PEER_PUBLIC_KEY_ENV = "AIRLOCK_PEER_PUBLIC_KEY"
"""The peer network's public key, one line."""


@dataclass(frozen=True)
class KeyFiles:
    signing_key: Path
    public_key: Path
    peer_public_key: Path


def _private_key_pem(value: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
        key = (
            serialization.load_pem_private_key(raw, password=None)
            if raw.lstrip().startswith(b"-----BEGIN")
            else serialization.load_der_private_key(raw, password=None)
        )
    except (binascii.Error, ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise PrepareFailed(
            f"{SIGNING_KEY_ENV} is not an Ed25519 private key (base64 of its PEM file)",
            exit_code=2,
        )
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_if_changed(path: Path, content: bytes, mode: int) -> bool:
    """Atomic and safe when several processes install the same key at once."""
    if path.exists() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class KeyInputs:
    """Key material handed over in the environment, checked before anything else runs."""

    signing_key_pem: bytes | None = None
    public_key: str | None = None
    peer_public_key: str | None = None


def _public_key(
    name: str, value: str, parse_public_key: Callable[[str], Ed25519PublicKey]
) -> Ed25519PublicKey:
    try:
        return parse_public_key(value)
    except ValueError as exc:
        raise PrepareFailed(f"{name} is not a public key: {exc}", exit_code=2) from None


def _load_private(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def read_key_inputs(
    environ: Mapping[str, str], parse_public_key: Callable[[str], Ed25519PublicKey]
) -> KeyInputs:
    signing = environ.get(SIGNING_KEY_ENV, "").strip()
    public = environ.get(PUBLIC_KEY_ENV, "").strip() or None
    peer = environ.get(PEER_PUBLIC_KEY_ENV, "").strip() or None
    pem = _private_key_pem(signing) if signing else None
    if peer:
        _public_key(PEER_PUBLIC_KEY_ENV, peer, parse_public_key)
    if public:
        published = _public_key(PUBLIC_KEY_ENV, public, parse_public_key)
        if pem and _raw(published) != _raw(_load_private(pem).public_key()):
            raise PrepareFailed(
                f"{PUBLIC_KEY_ENV} is not the public half of {SIGNING_KEY_ENV}", exit_code=2
            )
    return KeyInputs(pem, public, peer)


def install_keys(
    files: KeyFiles, inputs: KeyInputs, parse_public_key: Callable[[str], Ed25519PublicKey]
) -> list[str]:
    """Write the keys given in the environment, then check what is on disk fits together."""
    messages: list[str] = []
    writes = (
        (files.signing_key, inputs.signing_key_pem, 0o600),
        (files.public_key, inputs.public_key and f"{inputs.public_key}\n".encode(), 0o644),
        (
            files.peer_public_key,
            inputs.peer_public_key and f"{inputs.peer_public_key}\n".encode(),
            0o644,
        ),
    )
    for path, content, mode in writes:
        if content and _write_if_changed(path, content, mode):
            messages.append(f"installed {path}")
    if files.signing_key.exists():
        try:
            own = _load_private(files.signing_key.read_bytes()).public_key()
        except ValueError:
            raise PrepareFailed(
                f"{files.signing_key} is not an Ed25519 private key", exit_code=2
            ) from None
        if files.public_key.exists():
            text = files.public_key.read_text()
            if _raw(_public_key(str(files.public_key), text, parse_public_key)) != _raw(own):
                raise PrepareFailed(
                    f"{files.public_key} is not the public half of {files.signing_key}",
                    exit_code=2,
                )
    if files.peer_public_key.exists():
        _public_key(str(files.peer_public_key), files.peer_public_key.read_text(), parse_public_key)
    else:
        messages.append(f"no peer public key at {files.peer_public_key}: imports wait for it")
    return messages
