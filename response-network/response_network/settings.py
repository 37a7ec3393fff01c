"""Settings of the response network (the master, protected side)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from core.settings import NetworkSettings


class ResponseSettings(NetworkSettings):
    model_config = SettingsConfigDict(env_prefix="AIRLOCK_RESPONSE_", populate_by_name=True)

    network_name: str = "response"
    port: int = Field(default=8000, ge=1, le=65535)

    admin_username: str = Field(default="admin", min_length=3, max_length=64)
    admin_email: str = "admin@airlock.local"
    admin_password: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("AIRLOCK_ADMIN_PASSWORD", "AIRLOCK_RESPONSE_ADMIN_PASSWORD"),
    )
    """The first admin's password; generated and printed once when not given."""
