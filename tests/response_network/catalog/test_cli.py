"""`airlock-response types ...` and `profiles list`: the catalog services from a terminal."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from response_network.cli import app
from response_network.settings import ResponseSettings
from tests.terminal import logging_restored


@pytest.fixture
def cli(
    response_settings: ResponseSettings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    for name in list(os.environ):
        if name.startswith("AIRLOCK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AIRLOCK_RESPONSE_DATABASE_URL", response_settings.database_url)
    monkeypatch.setenv("AIRLOCK_RESPONSE_VAR_DIR", str(response_settings.var_dir))
    monkeypatch.setenv("AIRLOCK_RESPONSE_TRANSFER_DIR", str(response_settings.transfer_dir))
    if response_settings.redis_url:
        monkeypatch.setenv("AIRLOCK_RESPONSE_REDIS_URL", response_settings.redis_url)
    monkeypatch.setenv("COLUMNS", "200")
    with logging_restored():
        yield CliRunner()


def test_types_create_list_delete_and_profiles_list(cli: CliRunner, tmp_path: Path) -> None:
    definition = tmp_path / "lookup.json"
    definition.write_text(
        json.dumps(
            {
                "name": "lookup",
                "title": "Look up",
                "handler": "echo",
                "parameter_schema": {"type": "object"},
            }
        )
    )
    created = cli.invoke(app, ["types", "create-from-file", str(definition)])
    assert created.exit_code == 0, created.output
    listed = cli.invoke(app, ["types", "list"])
    assert "lookup" in listed.output

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "bad", "title": "Bad", "handler": "teleport"}))
    refused = cli.invoke(app, ["types", "create-from-file", str(bad)])
    assert (refused.exit_code, "invalid.handler" in refused.output) == (1, True)

    assert cli.invoke(app, ["types", "delete", "lookup"]).exit_code == 0
    assert "lookup" not in cli.invoke(app, ["types", "list"]).output

    assert cli.invoke(app, ["seed"]).exit_code == 0
    profiles = cli.invoke(app, ["profiles", "list"])
    assert all(name in profiles.output for name in ("basic", "default", "premium", "standard"))
