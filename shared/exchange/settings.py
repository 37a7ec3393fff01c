"""Transfer settings both networks share; each network's settings class inherits them."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from core.settings import NetworkSettings
from shared.transfer.encryption import check_age_recipient


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
