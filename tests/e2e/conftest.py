"""An operator's shell for the command-line stories: an empty directory, no AIRLOCK_ settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.terminal import logging_restored


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """Runs the command lines in this process, in `tmp_path`, where their `var/` then lives."""
    for name in list(os.environ):
        if name.startswith("AIRLOCK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    with logging_restored():
        yield CliRunner()
