"""Handlers by name: built-ins, third-party entry points, and the bounds every run keeps."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from core.errors import Conflict, Invalid, PayloadTooLarge, Unavailable
from response_network.handlers import (
    ENTRY_POINT_GROUP,
    Handler,
    HandlerAnswer,
    HandlerLimits,
    build_handler_registry,
    run_handler,
)
from response_network.settings import ResponseSettings

LIMITS = HandlerLimits(max_results=10, timeout_seconds=5, max_answer_bytes=1_000)


class ShoutHandler(Handler):
    """A third-party handler, loaded through a real `EntryPoint` object."""

    name = "shout"

    def validate_settings(self, settings: Mapping[str, Any]) -> None:
        pass

    async def run(
        self, *, parameters: Mapping[str, Any], settings: Mapping[str, Any], limits: HandlerLimits
    ) -> HandlerAnswer:
        return HandlerAnswer(body=str(parameters["text"]).upper(), content_type="text/plain")


class SlowHandler(ShoutHandler):
    name = "slow"

    async def run(
        self, *, parameters: Mapping[str, Any], settings: Mapping[str, Any], limits: HandlerLimits
    ) -> HandlerAnswer:
        await asyncio.sleep(10)
        return HandlerAnswer(body=None)


class Impostor(ShoutHandler):
    name = "echo"


def plugin(name: str, target: str) -> EntryPoint:
    return EntryPoint(name=name, value=f"{__name__}:{target}", group=ENTRY_POINT_GROUP)


@pytest.fixture
def settings(tmp_path: Path) -> ResponseSettings:
    return ResponseSettings(environment="test", var_dir=tmp_path)


def test_built_ins_and_entry_point_handlers_are_registered(settings: ResponseSettings) -> None:
    registry = build_handler_registry(
        settings,
        plugins=[
            plugin("shout", "ShoutHandler"),
            plugin("broken", "DoesNotExist"),
            plugin("not-a-handler", "LIMITS"),
            plugin("echo", "Impostor"),
        ],
    )
    assert registry.names() == ["echo", "manual", "search", "search_template", "shout", "sql"]
    assert type(registry.get("echo")).__name__ == "EchoHandler"
    with pytest.raises(Invalid) as raised:
        registry.get("teleport")
    assert raised.value.code == "invalid.handler"


async def test_a_plugin_handler_runs(settings: ResponseSettings) -> None:
    registry = build_handler_registry(settings, plugins=[plugin("shout", "ShoutHandler")])
    answer = await run_handler(
        handler=registry.get("shout"), parameters={"text": "hi"}, settings={}, limits=LIMITS
    )
    assert answer == HandlerAnswer(body="HI", content_type="text/plain")


async def test_echo_returns_the_parameters_and_manual_awaits_an_operator(
    settings: ResponseSettings,
) -> None:
    registry = build_handler_registry(settings, plugins=[])
    parameters = {"q": "1 OR 1=1", "n": [1, 2]}
    echoed = await run_handler(
        handler=registry.get("echo"), parameters=parameters, settings={}, limits=LIMITS
    )
    assert echoed.body == parameters
    with pytest.raises(Conflict) as raised:
        await run_handler(handler=registry.get("manual"), parameters={}, settings={}, limits=LIMITS)
    assert raised.value.code == "conflict.awaits_operator"


async def test_a_slow_handler_times_out(settings: ResponseSettings) -> None:
    registry = build_handler_registry(settings, plugins=[plugin("slow", "SlowHandler")])
    limits = HandlerLimits(max_results=10, timeout_seconds=0.05, max_answer_bytes=1_000)
    with pytest.raises(Unavailable) as raised:
        await run_handler(handler=registry.get("slow"), parameters={}, settings={}, limits=limits)
    assert raised.value.code == "unavailable.handler_timeout"


async def test_an_oversize_answer_is_refused(settings: ResponseSettings) -> None:
    registry = build_handler_registry(settings, plugins=[])
    with pytest.raises(PayloadTooLarge) as raised:
        await run_handler(
            handler=registry.get("echo"), parameters={"x": "y" * 2_000}, settings={}, limits=LIMITS
        )
    assert raised.value.code == "payload_too_large.answer"
