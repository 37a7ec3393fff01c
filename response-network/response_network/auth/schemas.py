"""The token answer, in the shape OAuth2 clients (and Swagger's "Authorize") expect."""

from __future__ import annotations

from typing import Literal

from response_network.schemas import Schema


class TokenRead(Schema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 token type, no secret)
    expires_in: int
    """Seconds until the token expires."""
