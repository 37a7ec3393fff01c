"""The one error model: domain errors with a stable dotted code, mapped to HTTP in one place."""

from __future__ import annotations

from typing import ClassVar


class AirlockError(Exception):
    """Base of every error a caller may see. `code` is stable; `detail` is for humans."""

    status_code: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.headers = headers or {}
        self.extra = extra or {}


class Invalid(AirlockError):
    status_code = 422
    default_code = "invalid"


class Unauthorized(AirlockError):
    """Missing or bad credentials; always tells the client to authenticate (RFC 6750)."""

    status_code = 401
    default_code = "unauthorized"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        challenge = {"WWW-Authenticate": "Bearer"}
        super().__init__(detail, code=code, headers=challenge | (headers or {}), extra=extra)


class Forbidden(AirlockError):
    status_code = 403
    default_code = "forbidden"


class NotFound(AirlockError):
    status_code = 404
    default_code = "not_found"


class Conflict(AirlockError):
    status_code = 409
    default_code = "conflict"


class PayloadTooLarge(AirlockError):
    status_code = 413
    default_code = "payload_too_large"


class RateLimited(AirlockError):
    status_code = 429
    default_code = "rate_limited"


UNAVAILABLE_RETRY_AFTER = "5"
"""Seconds a 503 asks the caller to wait (`Retry-After`): an outage is not the caller's fault."""


class Unavailable(AirlockError):
    status_code = 503
    default_code = "unavailable"


class ConfigurationError(Exception):
    """A setting is missing or wrong; the process reports it in one line and exits."""
