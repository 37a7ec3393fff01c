"""The response network's runtime: what it builds once, shared by its API and its jobs."""

from __future__ import annotations

from functools import cached_property

from response_network.auth.models import RevokedToken
from response_network.handlers.registry import HandlerRegistry, build_handler_registry
from response_network.settings import ResponseSettings
from shared.platform.runtime import NetworkRuntime


class ResponseRuntime(NetworkRuntime[ResponseSettings]):
    revoked_tokens = RevokedToken

    @cached_property
    def handlers(self) -> HandlerRegistry:
        """The one handler registry, built on first use; the API and the jobs share it (a
        test may set its own first)."""
        return build_handler_registry(self.settings)
