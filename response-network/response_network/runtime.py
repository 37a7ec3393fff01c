"""The response network's runtime: what it builds once, shared by its API and its jobs."""

from __future__ import annotations

from functools import cached_property

from core.revocation import TokenRevocations, build_revocations
from response_network.auth.models import RevokedToken
from response_network.handlers.registry import HandlerRegistry, build_handler_registry
from response_network.settings import ResponseSettings
from shared.platform.runtime import NetworkRuntime


class ResponseRuntime(NetworkRuntime[ResponseSettings]):
    @cached_property
    def revocations(self) -> TokenRevocations:
        """The logged-out tokens (Redis in production, a table embedded), built on first use."""
        return build_revocations(
            cache=self.cache,
            shared_cache=self.redis is not None,
            model=RevokedToken,
            session_factory=self.session_factory,
        )

    @cached_property
    def handlers(self) -> HandlerRegistry:
        """The one handler registry, built on first use; the API and the jobs share it (a
        test may set its own first)."""
        return build_handler_registry(self.settings)
