"""Handlers answer requests of a type: one small interface, built-ins and entry points."""

from response_network.handlers.base import (
    AwaitsOperator,
    Handler,
    HandlerAnswer,
    HandlerLimits,
)
from response_network.handlers.registry import (
    ENTRY_POINT_GROUP,
    HandlerRegistry,
    build_handler_registry,
    render_handler_query,
    run_handler,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "AwaitsOperator",
    "Handler",
    "HandlerAnswer",
    "HandlerLimits",
    "HandlerRegistry",
    "build_handler_registry",
    "render_handler_query",
    "run_handler",
]
