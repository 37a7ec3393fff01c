"""Settings of the response network (the master, protected side)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from core.security import MIN_SECRET_LENGTH
from shared.platform.settings import PlatformSettings


class ResponseSettings(PlatformSettings):
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
    seed_admin_request_network_login: bool = False
    """Let the first admin, when the seed creates it, log in on the request network (its
    password hash then crosses). `airlock dev` turns it on for its development admin; leave it
    off elsewhere and turn the flag on per account instead (`PATCH /admin/users/{id}`)."""

    token_ttl_minutes: int = Field(default=15, ge=1, le=1440)
    """Lifetime of the access tokens `POST /auth/token` issues."""

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters (or empty)")
        return value

    # The catalog's `search` handler (issue 6): which backend answers, and where it lives.
    search_backend: Literal["embedded", "sqlite", "elasticsearch"] = "embedded"
    """`embedded`: tantivy indexes under `search_dir`; `sqlite`: SQLite FTS5 files there;
    `elasticsearch`: a cluster."""
    search_dir: Path | None = None
    """Embedded indexes: `<name>.tantivy/` directories or `<name>.sqlite3` files (default:
    VAR_DIR/search)."""
    elasticsearch_url: str | None = None
    """Required when `search_backend` is `elasticsearch`, e.g. https://es.internal:9200."""
    elasticsearch_api_key: SecretStr | None = None
    search_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """Longest one search may take before it answers 503 `unavailable.search`."""

    @property
    def resolved_search_dir(self) -> Path:
        return (self.search_dir or self.var_dir / "search").resolve()

    # The catalog's handlers (issue 6): data sources and the bounds every handler runs within.
    sql_sources: dict[str, str] = Field(default_factory=dict)
    """Data sources the `sql` handler may query, by name: an async SQLAlchemy URL each
    (`postgresql+asyncpg://...`, `sqlite+aiosqlite:///...`), e.g. as JSON in the environment."""
    handler_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    """Longest one handler run may take (the `sql` handler also sets it as statement timeout)."""
    handler_max_answer_bytes: int = Field(default=1_000_000, ge=1_024, le=100_000_000)
    """Largest answer a handler may return, as JSON bytes; larger answers are refused."""

    # Requests and responses (issue 7): the operator queue and automated answers.
    claim_ttl_seconds: int = Field(default=900, ge=10, le=86_400)
    """How long an operator's claim on a request lasts before another may take it."""
    answer_max_attempts: int = Field(default=3, ge=1, le=100)
    """Handler runs per request before it is marked `failed`."""
    answer_retry_base_seconds: float = Field(default=2.0, gt=0, le=3600)
    """Wait before the first retry; doubled after each failed attempt."""
    answer_retry_max_seconds: float = Field(default=300.0, gt=0, le=86_400)
    """The longest wait between two attempts."""
    answer_poll_seconds: float = Field(default=5.0, ge=1, le=3600)
    """How often the worker looks for due requests (new imports are answered at once)."""
    answer_batch_size: int = Field(default=50, ge=1, le=1000)
    """Requests one answering run takes; their handlers run concurrently."""
    max_response_bytes: int = Field(default=1_000_000, ge=1_024, le=100_000_000)
    """Largest body an operator may answer with, as JSON bytes (larger: 413)."""
