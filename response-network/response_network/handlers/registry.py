"""Handlers by name: the built-ins, plus third-party ones from the `airlock.handlers` group."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import structlog

from core.errors import Invalid, PayloadTooLarge, Unavailable
from response_network.handlers.base import Handler, HandlerAnswer, HandlerLimits
from response_network.handlers.builtin import EchoHandler, ManualHandler
from response_network.handlers.search import SearchHandler
from response_network.handlers.search_template import SearchTemplateHandler
from response_network.handlers.sql import SqlHandler
from response_network.settings import ResponseSettings

ENTRY_POINT_GROUP = "airlock.handlers"
BUILTIN: tuple[type[Handler], ...] = (
    EchoHandler,
    ManualHandler,
    SqlHandler,
    SearchHandler,
    SearchTemplateHandler,
)

log = structlog.get_logger(__name__)


class HandlerRegistry:
    """The handlers this network can run; request types name one of them."""

    def __init__(self, handlers: Iterable[Handler]) -> None:
        self._handlers = {handler.name: handler for handler in handlers}

    def names(self) -> list[str]:
        return sorted(self._handlers)

    def get(self, name: str) -> Handler:
        handler = self._handlers.get(name)
        if handler is None:
            raise Invalid(
                f"no handler named {name!r} (known: {', '.join(self.names())})",
                code="invalid.handler",
            )
        return handler


def _third_party(
    settings: ResponseSettings, found: Iterable[EntryPoint], taken: set[str]
) -> list[Handler]:
    handlers: list[Handler] = []
    for entry_point in found:
        try:
            loaded = entry_point.load()
        except Exception as exc:  # a broken plug-in must not stop the network
            log.warning("handler_entry_point_failed", entry_point=entry_point.name, error=str(exc))
            continue
        if not (isinstance(loaded, type) and issubclass(loaded, Handler)):
            log.warning("handler_entry_point_not_a_handler", entry_point=entry_point.name)
            continue
        name = getattr(loaded, "name", None)
        if not isinstance(name, str) or not name or name in taken:
            log.warning("handler_entry_point_name_refused", entry_point=entry_point.name)
            continue
        handlers.append(loaded(settings))
        taken.add(name)
    return handlers


@functools.cache
def installed_plugins() -> tuple[EntryPoint, ...]:
    """The `airlock.handlers` entry points, read once per process: reading them scans every
    installed distribution's metadata, and a plug-in installed later needs a restart anyway."""
    return tuple(entry_points(group=ENTRY_POINT_GROUP))


def build_handler_registry(
    settings: ResponseSettings, *, plugins: Iterable[EntryPoint] | None = None
) -> HandlerRegistry:
    """Built-ins first (a plug-in cannot replace them), then the `airlock.handlers` entry
    points (`plugins` stands in for the installed ones in tests)."""
    builtin: list[Handler] = [cls(settings) for cls in BUILTIN]
    found = installed_plugins() if plugins is None else plugins
    extra = _third_party(settings, found, {handler.name for handler in builtin})
    return HandlerRegistry([*builtin, *extra])


def answer_size(answer: HandlerAnswer) -> int:
    if isinstance(answer.body, str | bytes):
        return len(answer.body.encode() if isinstance(answer.body, str) else answer.body)
    return len(json.dumps(answer.body, default=str, separators=(",", ":")).encode())


async def _in_time(handler: Handler, work: Awaitable[Any], limits: HandlerLimits) -> Any:
    try:
        return await asyncio.wait_for(work, timeout=limits.timeout_seconds)
    except TimeoutError:
        raise Unavailable(
            f"the {handler.name} handler took longer than {limits.timeout_seconds:g} s",
            code="unavailable.handler_timeout",
        ) from None


async def render_handler_query(
    *,
    handler: Handler,
    parameters: Mapping[str, Any],
    settings: Mapping[str, Any],
    limits: HandlerLimits,
) -> Any:
    """The query the handler would send (`Handler.render`), within the same time limit."""
    return await _in_time(
        handler, handler.render(parameters=parameters, settings=settings, limits=limits), limits
    )


async def run_handler(
    *,
    handler: Handler,
    parameters: Mapping[str, Any],
    settings: Mapping[str, Any],
    limits: HandlerLimits,
) -> HandlerAnswer:
    """Run with the time limit and check the answer's size: a handler cannot hang or flood."""
    answer: HandlerAnswer = await _in_time(
        handler, handler.run(parameters=parameters, settings=settings, limits=limits), limits
    )
    size = answer_size(answer)
    if size > limits.max_answer_bytes:
        raise PayloadTooLarge(
            f"the answer has {size} bytes, more than the {limits.max_answer_bytes} allowed",
            code="payload_too_large.answer",
        )
    return answer
