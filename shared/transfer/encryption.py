"""Optional age (X25519) encryption of whole batch files.

The sender holds only the peer's recipient (`age1...`); the receiver holds its identities
(`AGE-SECRET-KEY-1...`), in the file format the `age` tools write: one identity a line,
`#` comments and blank lines ignored, several identities all tried (a key rotation keeps
the old one until the batches in flight are in). Encryption wraps the finished, signed tar,
so the bag inside is the same whether or not it travelled encrypted. Both directions stream
through pyrage in bounded memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol

import pyrage
from pyrage import x25519

from shared.transfer.errors import BatchRejected
from shared.transfer.signing import write_secret_file

AGE_MAGIC = b"age-encryption.org/v1\n"


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


def generate_age_identity() -> tuple[str, str]:
    """A new (identity, recipient) pair: keep the identity, give the recipient to the peer."""
    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def age_recipient_of(identity: str) -> str:
    return str(_identity(identity).to_public())


def save_age_identity(identity: str, path: Path) -> None:
    _identity(identity)
    write_secret_file(path, identity.encode() + b"\n")


def load_age_identity(path: Path) -> str:
    """The identities of an age identity file (as `age-keygen` writes it), one a line.

    OSError when the file cannot be read, ValueError saying what is wrong with its content
    (never quoting a secret).
    """
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise ValueError(
            "not a text file: an age identity file holds AGE-SECRET-KEY-1 lines"
        ) from None
    return "\n".join(str(identity) for identity in parse_age_identities(text))


def parse_age_identities(text: str) -> list[x25519.Identity]:
    """Every `AGE-SECRET-KEY-1...` line of an identity file; comments and blanks skipped."""
    identities = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(_identity(line))
        except ValueError:
            raise ValueError(
                f"line {number} is not an age X25519 identity (AGE-SECRET-KEY-1...)"
            ) from None
    if not identities:
        raise ValueError("no AGE-SECRET-KEY-1 line (an age identity file, as age-keygen writes)")
    return identities


def check_age_recipient(recipient: str) -> None:
    """ValueError for a recipient that is not an X25519 `age1...` string."""
    try:
        x25519.Recipient.from_str(recipient)
    except (pyrage.RecipientError, ValueError):
        raise ValueError("not an age X25519 recipient (age1...)") from None


def encrypt_stream(source: BinaryIO, target: Writable, recipient: str) -> None:
    """Encrypt `source` into `target` for `recipient`, chunk by chunk."""
    try:
        parsed = x25519.Recipient.from_str(recipient)
    except (pyrage.RecipientError, ValueError):
        raise ValueError("not an age X25519 recipient (age1...)") from None
    pyrage.encrypt_io(source, target, [parsed])


def decrypt_stream(source: BinaryIO, target: BinaryIO, identity: str | None) -> None:
    """Decrypt `source` into `target` with any of the identities in `identity` (one a line);
    any failure is `batch.decrypt` (nothing to trust yet)."""
    if identity is None:
        raise BatchRejected("batch.decrypt", "the batch is encrypted and no age identity is set")
    try:
        parsed = parse_age_identities(identity)
    except ValueError:
        raise BatchRejected("batch.decrypt", "the configured age identity is invalid") from None
    try:
        pyrage.decrypt_io(source, target, parsed)
    except pyrage.DecryptError as error:
        raise BatchRejected("batch.decrypt", f"age could not decrypt the batch: {error}") from None
    except OSError:
        # pyrage reports a cut or tampered stream as an I/O error.
        raise BatchRejected(
            "batch.decrypt", "age decryption failed: truncated or corrupt"
        ) from None


def _identity(identity: str) -> x25519.Identity:
    try:
        return x25519.Identity.from_str(identity.strip())
    except (pyrage.IdentityError, ValueError):
        raise ValueError("not an age X25519 identity (AGE-SECRET-KEY-1...)") from None
