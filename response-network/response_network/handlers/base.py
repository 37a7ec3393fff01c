"""The interface every handler serves, built-in or third-party."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from core.errors import Conflict
from response_network.settings import ResponseSettings


@dataclass(frozen=True)
class HandlerAnswer:
    body: Any
    """JSON-able (or text when `content_type` says so)."""
    content_type: str = "application/json"


@dataclass(frozen=True)
class HandlerLimits:
    max_results: int
    """The smaller of the type's and the requester's profile's max results."""
    timeout_seconds: float
    max_answer_bytes: int


class AwaitsOperator(Conflict):
    """Raised by handlers that do not answer by themselves (`manual`)."""

    def __init__(self, detail: str = "this request type awaits an operator's answer") -> None:
        super().__init__(detail, code="conflict.awaits_operator")


class Handler(ABC):
    """One way of answering a request type, registered by `name`.

    Built with the network's settings (data sources, search backend); `validate_settings`
    checks a type's handler settings when the type is defined (raise `core.errors.Invalid`),
    `run` answers one request. Parameters arrive already validated against the type's JSON
    Schema; a handler must still treat them as values, never as query text.
    """

    name: ClassVar[str]
    automatic: ClassVar[bool] = True
    """False for handlers that wait for a person (`manual`)."""

    def __init__(self, settings: ResponseSettings) -> None:
        self.app_settings = settings

    @abstractmethod
    def validate_settings(self, settings: Mapping[str, Any]) -> None:
        """Refuse settings it cannot run with: `Invalid` (`invalid.handler_settings`)."""

    async def check_definition(
        self, *, settings: Mapping[str, Any], parameter_schema: Mapping[str, Any]
    ) -> None:
        """Every check a type's definition must pass, for handlers whose settings depend on
        the parameter schema or need a backend to check (`search_template`); by default
        `validate_settings`."""
        self.validate_settings(settings)

    @abstractmethod
    async def run(
        self, *, parameters: Mapping[str, Any], settings: Mapping[str, Any], limits: HandlerLimits
    ) -> HandlerAnswer: ...

    async def render(
        self, *, parameters: Mapping[str, Any], settings: Mapping[str, Any], limits: HandlerLimits
    ) -> Any:
        """The query `run` would send for these parameters, as JSON, shown by `try`; None for
        handlers that have no query to show."""
        return None
