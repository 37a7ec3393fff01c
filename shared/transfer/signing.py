"""Ed25519 keys and signatures: who wrote a batch.

The private key is PKCS#8 PEM (file mode 0600). The public key is one pasteable line,
`airlock-ed25519 <base64 of the 32 raw bytes> [comment]`, so an operator can carry it
across the gap by hand.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.transfer.errors import BatchRejected

PUBLIC_KEY_PREFIX = "airlock-ed25519"
SIGNATURE_BYTES = 64


def generate_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def save_private_key(key: Ed25519PrivateKey, path: Path) -> None:
    """Write the key as PEM readable by the owner only; replaces an existing file atomically."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_secret_file(path, pem)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def public_key_text(key: Ed25519PublicKey, comment: str | None = None) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    text = f"{PUBLIC_KEY_PREFIX} {base64.b64encode(raw).decode()}"
    return f"{text} {comment}" if comment else text


def parse_public_key(text: str) -> Ed25519PublicKey:
    """Read the one-line form; ValueError says what is wrong with a pasted key."""
    parts = text.strip().split(maxsplit=2)
    if len(parts) < 2 or parts[0] != PUBLIC_KEY_PREFIX:
        raise ValueError(f"a public key reads '{PUBLIC_KEY_PREFIX} <base64>'")
    try:
        raw = base64.b64decode(parts[1], validate=True)
    except binascii.Error:
        raise ValueError("the public key is not valid base64") from None
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def save_public_key(key: Ed25519PublicKey, path: Path, comment: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(public_key_text(key, comment) + "\n")


def load_public_key(path: Path) -> Ed25519PublicKey:
    return parse_public_key(path.read_text())


def key_fingerprint(key: Ed25519PublicKey) -> str:
    """A short name for a key in logs and CLI output (not a security boundary)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def sign(key: Ed25519PrivateKey, message: bytes) -> bytes:
    """The signature file's content: base64 of the 64-byte signature, newline-terminated."""
    return base64.b64encode(key.sign(message)) + b"\n"


def verify(key: Ed25519PublicKey, message: bytes, signature_file: bytes) -> None:
    """Raise `batch.signature` unless `signature_file` is `key`'s signature of `message`."""
    try:
        signature = base64.b64decode(signature_file.strip(), validate=True)
    except binascii.Error:
        raise BatchRejected("batch.signature", "the signature is not valid base64") from None
    if len(signature) != SIGNATURE_BYTES:
        raise BatchRejected("batch.signature", "the signature is not 64 bytes")
    try:
        key.verify(signature, message)
    except InvalidSignature:
        raise BatchRejected(
            "batch.signature", "the tag manifest is not signed by the peer's key"
        ) from None


def write_secret_file(path: Path, content: bytes) -> None:
    """Create `path` with mode 0600 from the first byte, then rename over any old file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
