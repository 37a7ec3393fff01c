"""Settings shared by both networks; each network subclasses with its own env prefix."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

METRICS_TOKEN_MIN_LENGTH = 32


class NetworkSettings(BaseSettings):
    """What every network needs. Subclasses set `env_prefix` and their defaults."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    network_name: str = "network"
    environment: Literal["development", "production", "test"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    var_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str | None = None
    """Empty: in-process cache, locks and jobs (embedded mode). Set: Redis and Celery."""
    transfer_dir: Path | None = None

    secret_key: SecretStr = SecretStr("")
    """Signs this network's tokens; generated and kept under var_dir when empty."""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool | None = None
    """Default: JSON in production, readable console output otherwise."""

    forwarded_allow_ips: str = ""
    """Comma-separated IPs or CIDRs of the proxies whose `X-Forwarded-For` names the client;
    empty: trust none, the client is the peer of the connection."""

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    jobs_enabled: bool = True
    """Run the in-process scheduler with the API (embedded mode only)."""
    lock_ttl_seconds: float = Field(default=15, ge=1, le=3600)
    """Production: a Redis lock (a stream's export or import) lives this long unless its
    holder renews it, which a live holder does every third of it; a killed holder blocks
    its stream this long at most."""
    job_max_redeliveries: int = Field(default=5, ge=0, le=100)
    """Celery: a task whose run kills its worker is redelivered this many times, then given
    up (logged, counted in `airlock_jobs_given_up_total`, audited as `job.given_up`)."""

    job_visibility_timeout_seconds: float = Field(default=3600, ge=1, le=86_400)
    """Celery on Redis: a task delivered but not acknowledged this long is delivered again
    (its worker is presumed dead). Keep it above the longest job; a job outliving it runs
    twice at once, which the jobs' locks and ledgers make harmless but wasteful."""

    metrics_enabled: bool = True
    """Serve Prometheus metrics at `/metrics`; false: no metrics at all."""
    metrics_token: SecretStr = SecretStr("")
    """When set, `/metrics` on the API's port answers only `Authorization: Bearer <token>`
    (at least 32 characters); the scraper holds it."""
    metrics_token_required: bool = False
    """Refuse every scrape of `/metrics` on the API's port while `metrics_token` is empty
    (401): the request network's default, it faces its users. A `metrics_port` of its own is
    not affected (bind it to an internal address)."""
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    """Serve the metrics on this port only (on `metrics_host`), not on the API's port."""
    metrics_host: str | None = None
    """Address the metrics port binds to; default: `host`."""
    prometheus_multiproc_dir: Path | None = Field(
        default=None, validation_alias="prometheus_multiproc_dir"
    )
    """prometheus-client's `PROMETHEUS_MULTIPROC_DIR` (no network prefix): when set in the
    environment of the API, worker and beat processes, `/metrics` adds up all of them."""

    audit_retention_days: int = Field(default=365, ge=0, le=36_500)
    """Audit events older than this are deleted by a daily job; 0 keeps them forever."""

    @field_validator("metrics_token")
    @classmethod
    def _long_token(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < METRICS_TOKEN_MIN_LENGTH:
            raise ValueError(f"must be at least {METRICS_TOKEN_MIN_LENGTH} characters (or empty)")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses(cls, value: str) -> str:
        items = [item.strip() for item in value.split(",") if item.strip()]
        for item in items:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR network") from None
        return ",".join(items)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value == "":
            return None
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / f'{self.network_name}.db').resolve()}"

    @property
    def resolved_transfer_dir(self) -> Path:
        return (self.transfer_dir or self.var_dir / "transfer").resolve()

    @property
    def embedded(self) -> bool:
        return self.redis_url is None

    @property
    def json_logs(self) -> bool:
        return self.environment == "production" if self.log_json is None else self.log_json


def env_name(settings: NetworkSettings, field: str) -> str:
    """The environment variable that sets `field` (`AIRLOCK_REQUEST_REDIS_URL`)."""
    return f"{settings.model_config.get('env_prefix', '')}{field}".upper()
