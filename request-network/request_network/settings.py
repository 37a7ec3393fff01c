"""Settings of the request network (the exposed side, a replica of identity and catalog)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from core.security import MIN_SECRET_LENGTH
from shared.exchange.settings import TransferNetworkSettings


class RequestSettings(TransferNetworkSettings):
    model_config = SettingsConfigDict(env_prefix="AIRLOCK_REQUEST_")

    network_name: str = "request"
    port: int = Field(default=8001, ge=1, le=65535)

    token_ttl_minutes: int = Field(default=15, ge=1, le=1440)
    """Lifetime of the access tokens `POST /auth/token` issues."""
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_window_minutes: int = Field(default=15, ge=1, le=1440)
    """After `login_max_failures` failed logins in this window, per username and per client
    address, further logins answer 429 until the window ends."""

    max_parameter_bytes: int = Field(default=65_536, ge=64, le=1_048_576)
    """Upper bound on a request's parameters (compact JSON, UTF-8), on top of the profile's."""

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters (or empty)")
        return value
