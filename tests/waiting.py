"""One way for a test to wait: for a condition, up to a deadline that scales with the machine.

`AIRLOCK_TEST_TIMEOUT_SCALE` (default 1) multiplies every deadline here and every pytest
timeout: set it to 2 or 3 on a slow or loaded machine instead of editing a test. A wait that
runs out says what it waited for and shows the last lines of the processes it watched.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

SCALE = float(os.environ.get("AIRLOCK_TEST_TIMEOUT_SCALE") or 1)
POLL = 0.05
"""Seconds between two looks at a condition."""


def scaled(seconds: float) -> float:
    """`seconds` on this machine: a deadline, never a pause."""
    return seconds * SCALE


@dataclass
class Started:
    """A process a test started, with the file that takes its output (for the failure message)."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def describe(self) -> str:
        code = self.process.poll()
        state = "running" if code is None else f"exited with {code}"
        tail = self.tail() if self.log is not None else "(output not kept)"
        return f"--- {self.name} ({state}), last lines:\n{tail}"

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited early\n{self.describe()}")

    def stop(self, timeout: float = 30, how: signal.Signals = signal.SIGTERM) -> int:
        """Send `how` (SIGTERM, or SIGINT for Ctrl-C), SIGKILL if it does not stop in time;
        its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(how)
        try:
            return self.process.wait(scaled(timeout))
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(scaled(timeout))


def start(
    name: str,
    command: list[str],
    *,
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Started:
    """Start `command` with stdout and stderr in `log_dir/<name>.log`."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Started(name, process, log)


def start_module(name: str, *args: str, log_dir: Path, **options: Any) -> Started:
    """`python -m ARGS` with this interpreter (the project's bytecode is compiled at install)."""
    return start(name, [sys.executable, "-m", *args], log_dir=log_dir, **options)


class WaitTimeout(AssertionError):
    """A wait ran out; the message says for what, and what the watched processes said."""


def _timed_out(what: str, timeout: float, watch: Iterable[Started]) -> WaitTimeout:
    lines = [f"timed out after {timeout:g}s waiting for {what}"]
    lines += [started.describe() for started in watch]
    if SCALE == 1:
        lines.append("(on a slow machine, set AIRLOCK_TEST_TIMEOUT_SCALE=2 or more)")
    return WaitTimeout("\n".join(lines))


def wait_until(
    condition: Callable[[], T | None],
    *,
    what: str,
    timeout: float = 60,
    watch: Iterable[Started] = (),
    poll: float = POLL,
) -> T:
    """Call `condition` until it returns something truthy and return that; fail after
    `timeout` (scaled) seconds, or as soon as a watched process exits."""
    watch = list(watch)
    limit = scaled(timeout)
    deadline = time.monotonic() + limit
    while True:
        for started in watch:
            started.check_alive()
        if found := condition():
            return found
        if time.monotonic() > deadline:
            raise _timed_out(what, limit, watch)
        time.sleep(poll)


async def until(
    condition: Callable[[], Awaitable[T | None]],
    *,
    what: str,
    timeout: float = 60,
    watch: Iterable[Started] = (),
    poll: float = POLL,
) -> T:
    """`wait_until` for an async condition, without blocking the event loop."""
    watch = list(watch)
    limit = scaled(timeout)
    deadline = time.monotonic() + limit
    while True:
        for started in watch:
            started.check_alive()
        if found := await condition():
            return found
        if time.monotonic() > deadline:
            raise _timed_out(what, limit, watch)
        await asyncio.sleep(poll)


def answers_ok(url: str) -> bool:
    """The URL answers 200 (a readiness probe); a refused connection is just not yet."""
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url, timeout=2).status_code == 200
    return False


def wait_for_http(url: str, *, watch: Iterable[Started] = (), timeout: float = 90) -> None:
    wait_until(lambda: answers_ok(url), what=f"{url} to answer 200", watch=watch, timeout=timeout)


@contextlib.contextmanager
def stopping(*processes: Started) -> Iterator[None]:
    """Stop these processes however the block ends."""
    try:
        yield
    finally:
        for started in processes:
            started.stop()
