"""API key scopes: what a key may do, named on the master and enforced on both networks.

A key without scopes reaches everything its owner's role does; a key with scopes reaches only
the routes those scopes cover, still within the role. Login tokens are never restricted.
"""

from __future__ import annotations

import enum


class Scope(enum.StrEnum):
    REQUESTS_READ = "requests:read"
    """Request network: list and read your requests and their answers, list request types."""
    REQUESTS_WRITE = "requests:write"
    """Request network: submit requests."""
    REQUESTS_ANSWER = "requests:answer"
    """Response network (operators): read the queue, claim, release and answer requests."""
    API_KEYS = "api-keys"
    """Response network: list, create and revoke your own API keys."""
    ADMIN = "admin"
    """Every `/admin/...` route of either network (admins)."""


SESSION_ONLY = "session"
"""Not a scope a key can hold: what the session routes (`POST /auth/logout`,
`POST /users/me/password`) declare. They take a login token only; every API key is refused."""
