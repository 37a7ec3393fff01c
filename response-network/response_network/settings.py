"""Settings of the response network (the master, protected side)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from core.security import MIN_SECRET_LENGTH
from shared.exchange.settings import TransferNetworkSettings


class ResponseSettings(TransferNetworkSettings):
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

    token_ttl_minutes: int = Field(default=15, ge=1, le=1440)
    """Lifetime of the access tokens `POST /auth/token` issues."""
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_window_minutes: int = Field(default=15, ge=1, le=1440)
    """After `login_max_failures` failed logins in this window, per username and per client
    address, further logins answer 429 until the window ends."""

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters (or empty)")
        return value
