"""Transfer settings both networks share; each network's settings class inherits them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, field_validator
from pydantic_settings import BaseSettings

from core.settings import NetworkSettings
from shared.transfer.encryption import check_age_recipient


def _octal(value: Any) -> Any:
    """`0640`, `0o640` or `640` in the environment mean what `chmod` takes: octal."""
    return int(value, 8) if isinstance(value, str) else value


def _file_mode(mode: int) -> int:
    if not 0o400 <= mode <= 0o777:
        raise ValueError("must be a mode from 0400 to 0777: permission bits, the owner reading")
    return mode


FileMode = Annotated[int, BeforeValidator(_octal), AfterValidator(_file_mode)]


class TransferSettings(BaseSettings):
    signing_key_file: Path | None = None
    """This network's Ed25519 private key (default: VAR_DIR/keys/<network>.key)."""
    peer_public_key_file: Path | None = None
    """The peer's Ed25519 public key (default: VAR_DIR/keys/<peer>.pub)."""
    age_identity_file: Path | None = None
    """This network's age identities, to decrypt `.tar.age` batches (optional): a file as
    `age-keygen` writes it, one `AGE-SECRET-KEY-1...` a line (all tried), `#` comments."""
    peer_age_recipient: str | None = None
    """The peer's `age1...` recipient: when set, batches are encrypted for it."""
    inbox_dir: Path | None = None
    """Where the peer's batches arrive (default: TRANSFER_DIR/<peer>/outbox)."""
    acknowledgements: bool = True
    """False on a one-way diode: no return channel, keep copies for the retention only."""
    batch_max_records: int = Field(default=50_000, ge=1)
    batch_max_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    record_max_bytes: int = Field(default=1024 * 1024, ge=256)
    retention_hours: float = Field(default=168, gt=0)
    """Kept copies in `sent/` are deleted once acknowledged (one-way: written) this long ago."""
    processed_retention_hours: float | None = Field(default=None, gt=0)
    """Imported batches in `processed/` are deleted this long after their import
    (default: `retention_hours`)."""
    stale_temporary_hours: float = Field(default=1, gt=0)
    """A hidden `.<name>.tmp` in `sent/`, `outbox/` or `processed/` older than this was left
    by a killed writer: the prune job and `reconcile --fix` delete it."""
    batch_file_mode: FileMode = 0o640
    """Permissions of the batch files this network writes (octal, as `chmod` takes them)."""
    resend_after_seconds: float = Field(default=300, gt=0)
    heartbeat_seconds: float = Field(default=60, gt=0)

    @field_validator("peer_age_recipient")
    @classmethod
    def _age_recipient(cls, value: str | None) -> str | None:
        # Refused at start, not by the first export that tries to encrypt for it.
        if value is None or not value.strip():
            return None
        check_age_recipient(value.strip())
        return value.strip()


class TransferNetworkSettings(NetworkSettings, TransferSettings):
    """A network's settings with the transfer fields; both networks' settings derive from it."""
