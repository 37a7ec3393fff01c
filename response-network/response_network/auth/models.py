"""Logged-out tokens, kept here in the embedded mode (Redis keeps them in production)."""

from __future__ import annotations

from core.revocation import RevokedTokenMixin
from response_network.db import Base


class RevokedToken(RevokedTokenMixin, Base):
    __tablename__ = "revoked_token"
