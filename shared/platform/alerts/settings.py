"""Alert thresholds and the webhook; each network's settings class inherits them."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings


class AlertSettings(BaseSettings):
    alert_evaluate_seconds: float = Field(default=60, ge=5, le=3600)
    """How often the rules are evaluated (once per interval across all processes); in
    production an API process steps in after two intervals without an evaluation."""
    alert_stream_lag_minutes: float = Field(default=15, gt=0, le=7 * 1440)
    """`stream_lag`: a batch sent but not acknowledged for this long, or the newest batch
    received this long after the peer wrote it."""
    alert_stream_blocked_minutes: float = Field(default=1, gt=0, le=7 * 1440)
    """`stream_blocked`: an inbound stream's import lock held by one importer this long (a
    stuck importer: the others skip the stream meanwhile)."""
    alert_gap_minutes: float = Field(default=15, gt=0, le=7 * 1440)
    """`gap`: a sequence of the peer's missing for this long."""
    alert_heartbeat_minutes: float = Field(default=5, gt=0, le=1440)
    """`worker_heartbeat` (production mode only): no worker heartbeat for this long."""
    alert_disk_used_ratio: float = Field(default=0.9, gt=0, le=1)
    """`transfer_disk`: the transfer directory's file system fuller than this."""
    alert_error_rate: float = Field(default=0.05, gt=0, le=1)
    """`error_rate`: share of HTTP answers that are 5xx over the window, above which it fires."""
    alert_error_rate_window_minutes: int = Field(default=5, ge=1, le=60)
    alert_error_rate_min_requests: int = Field(default=20, ge=1)
    """Fewer requests than this in the window never fire `error_rate` (1 of 2 is no trend)."""

    alert_webhook_url: SecretStr | None = None
    """Where new and resolved alerts are POSTed as JSON (none by default). Kept secret:
    chat webhooks carry their token in the URL."""
    alert_webhook_timeout_seconds: float = Field(default=5, gt=0, le=60)
    alert_webhook_retry_base_seconds: float = Field(default=30, gt=0, le=3600)
    """Wait after the first failed delivery; doubled after each further failure."""
    alert_webhook_retry_max_seconds: float = Field(default=3600, gt=0, le=86_400)

    @field_validator("alert_webhook_url")
    @classmethod
    def _http_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        parts = urlsplit(value.get_secret_value())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        return value
