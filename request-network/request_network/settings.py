"""Settings of the request network (the exposed side, a replica of identity and catalog)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from core.security import MIN_SECRET_LENGTH
from shared.platform.settings import PlatformSettings


class RequestSettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="AIRLOCK_REQUEST_")

    network_name: str = "request"
    port: int = Field(default=8001, ge=1, le=65535)
    metrics_token_required: bool = True
    """The exposed side: `/metrics` on the API's port needs `METRICS_TOKEN` (else 401), or
    serve the metrics on a `METRICS_PORT` of their own."""

    token_ttl_minutes: int = Field(default=15, ge=1, le=1440)
    """Lifetime of the access tokens `POST /auth/token` issues."""

    principal_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    """How long a token's user (active, role) is trusted without reading the database again,
    in each API process; 0 reads it on every request. A deactivation crossing the gap takes
    effect at most this much later (the transfer itself already takes seconds or more)."""

    catalog_cache_seconds: float = Field(default=300.0, ge=0, le=86_400)
    """How long each process keeps the catalog rows submissions read (profiles, request types,
    grants) at most; 0 reads them on every submission. A `catalog` import drops them in every
    process as it commits (through the cache, Redis in production): this bounds only how long
    they could outlive an import whose signal was lost while Redis was unreachable."""

    max_parameter_bytes: int = Field(default=65_536, ge=64, le=1_048_576)
    """Upper bound on a request's parameters (compact JSON, UTF-8), on top of the profile's."""

    response_cache_ttl_seconds: int = Field(default=86_400, ge=1, le=30 * 86_400)
    """How long a read answer stays cached; an imported newer answer replaces it at once."""
    response_cache_write_hold_seconds: float = Field(default=60, gt=0, le=3600)
    """While an import that changes an answer is open, readers do not cache that answer; the
    mark expires after this long should the import crash. Keep it above the longest import."""
    response_cache_fill_wait_seconds: float = Field(default=0.2, ge=0, le=5)
    """A reader that misses while another process loads the same answer waits this long for
    that value before loading it itself."""

    rate_limit_fail_open: bool = False
    """While Redis (which counts submissions) is unreachable: false refuses submissions with
    503 `unavailable.rate_limit`, true admits them uncounted. Closed by default: this side
    faces the users, and a limit that stops counting lets a flood through to the protected
    side's handlers; reads, which cost the master nothing, go on from the database either way."""

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters (or empty)")
        return value
