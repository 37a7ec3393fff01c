"""`wait`: poll a request's status with a capped exponential backoff until it is decided."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

ANSWERED = frozenset({"answered", "delivered"})
ENDED_UNANSWERED = frozenset({"failed", "rejected", "cancelled"})
FIRST_INTERVAL = 0.5
MAX_INTERVAL = 10.0
"""An echo is answered within seconds; an operator's answer may take hours: past the first
seconds, a poll every 10 s costs the server little and the user nothing noticeable."""

Sleep = Callable[[float], None]


def intervals(first: float = FIRST_INTERVAL, cap: float = MAX_INTERVAL) -> Iterator[float]:
    interval = first
    while True:
        yield interval
        interval = min(interval * 2, cap)


def wait_decided(
    status_of: Callable[[], str],
    *,
    timeout: float,
    sleep: Sleep,
    label: str,
    clock: Callable[[], float] = time.monotonic,
) -> str | None:
    """The request's final status, or None when `timeout` seconds passed first."""
    deadline = clock() + timeout
    with spinner(label) as show:
        for interval in intervals():
            status = status_of()
            if status in ANSWERED | ENDED_UNANSWERED:
                return status
            show(f"{label}: {status}")
            left = deadline - clock()
            if left <= 0:
                return None
            sleep(min(interval, left))
    return None  # pragma: no cover - intervals() never ends


@contextmanager
def spinner(label: str) -> Iterator[Callable[[str], None]]:
    """A rich spinner on stderr at a terminal; nothing where a script reads the output."""
    if not sys.stderr.isatty():
        yield lambda _text: None
        return
    from rich.console import Console

    with Console(stderr=True).status(label) as status:
        yield lambda text: status.update(text)
