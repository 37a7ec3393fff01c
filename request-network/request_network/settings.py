"""Settings of the request network (the exposed side, a replica of identity and catalog)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from core.settings import NetworkSettings


class RequestSettings(NetworkSettings):
    model_config = SettingsConfigDict(env_prefix="AIRLOCK_REQUEST_")

    network_name: str = "request"
    port: int = Field(default=8001, ge=1, le=65535)
