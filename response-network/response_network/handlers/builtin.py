"""The simplest handlers: `echo` (smoke checks) and `manual` (an operator answers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import Invalid
from response_network.handlers.base import AwaitsOperator, Handler, HandlerAnswer, HandlerLimits


class EchoHandler(Handler):
    """Returns the parameters as they came: proves the path from request to answer."""

    name = "echo"

    def validate_settings(self, settings: Mapping[str, Any]) -> None:
        if settings:
            raise Invalid("the echo handler takes no settings", code="invalid.handler_settings")

    async def run(
        self, *, parameters: Mapping[str, Any], settings: Mapping[str, Any], limits: HandlerLimits
    ) -> HandlerAnswer:
        return HandlerAnswer(body=dict(parameters))


class ManualHandler(Handler):
    """Never answers by itself: an operator claims the request and writes the response."""

    name = "manual"
    automatic = False

    def validate_settings(self, settings: Mapping[str, Any]) -> None:
        if settings:
            raise Invalid("the manual handler takes no settings", code="invalid.handler_settings")

    async def run(
        self, *, parameters: Mapping[str, Any], settings: Mapping[str, Any], limits: HandlerLimits
    ) -> HandlerAnswer:
        raise AwaitsOperator()
