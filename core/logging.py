"""structlog set-up: JSON in production, readable in development, a request id on every line.

Inside an HTTP request every line also names the user once authentication resolved them;
nothing else about the request (no body, no query, no header) is ever put in the context.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar

import structlog

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_request_fields: ContextVar[dict[str, str] | None] = ContextVar("request_fields", default=None)
"""Fields bound during a request. A dict shared by reference, so a value bound in a
dependency (which may run in a copied context) still reaches the request's access line."""


def current_request_id() -> str | None:
    return _request_id.get()


@contextlib.contextmanager
def bind_request_id(request_id: str | None) -> Iterator[None]:
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


@contextlib.contextmanager
def request_log_context(request_id: str) -> Iterator[None]:
    """Around one HTTP request: its id, and what `bind_user_id` adds later, on every line."""
    token = _request_fields.set({})
    try:
        with bind_request_id(request_id):
            yield
    finally:
        _request_fields.reset(token)


def bind_user_id(user_id: object) -> None:
    """Name the authenticated user on the rest of this request's lines (outside one: no-op)."""
    fields = _request_fields.get()
    if fields is not None:
        fields["user_id"] = str(user_id)


def _add_request_id(
    _logger: object, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    request_id = _request_id.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    for key, value in (_request_fields.get() or {}).items():
        event_dict.setdefault(key, value)
    return event_dict


def configure_logging(*, level: str = "INFO", json: bool = False, network: str = "") -> None:
    """Route structlog and the standard library through one renderer."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if network:
        shared.insert(0, _static("network", network))
    terminal = sys.stderr.isatty()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(
            colors=terminal,
            # Rich tracebacks only for a person at a terminal: highlighting one costs seconds,
            # which a pipe or a log file gains nothing from. Never with local variables: a
            # frame's locals may hold a password.
            exception_formatter=(
                structlog.dev.RichTracebackFormatter(show_locals=False)
                if terminal
                else structlog.dev.plain_traceback
            ),
        )
    )
    structlog.configure(
        # The level first: a line below it costs a check, not the whole chain (timestamp
        # included) before the standard library drops it.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if json else _identity,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel("WARNING")
    # uvicorn installs its own handlers; let its records reach ours instead.
    for name in ("uvicorn", "uvicorn.error", "celery"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def _static(key: str, value: str) -> structlog.typing.Processor:
    def add(
        _logger: object, _method: str, event_dict: structlog.typing.EventDict
    ) -> structlog.typing.EventDict:
        event_dict.setdefault(key, value)
        return event_dict

    return add


def _identity(
    _logger: object, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    return event_dict
