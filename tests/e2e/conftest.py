"""An operator's shell for the command-line stories: an empty directory, no AIRLOCK_ settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """Runs the command lines in this process, in `tmp_path`, where their `var/` then lives."""
    for name in list(os.environ):
        if name.startswith("AIRLOCK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    handlers, level, config = root.handlers[:], root.level, structlog.get_config()
    yield CliRunner()
    # Each command points logging at the runner's stderr, which is closed once it returns.
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)
