"""`airlock-response index ...`: load a JSON Lines file, search it, list the indexes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from response_network.cli import app
from response_network.search.demo import DEMO_FILE
from tests.terminal import logging_restored

INDEX_PATHS = {"embedded": "kit.tantivy/airlock-index.json", "sqlite": "kit.sqlite3"}


@pytest.fixture(params=sorted(INDEX_PATHS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def cli(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for name in list(os.environ):
        if name.startswith("AIRLOCK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AIRLOCK_RESPONSE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("AIRLOCK_RESPONSE_SEARCH_BACKEND", kind)
    with logging_restored():
        yield CliRunner()


def test_load_search_and_list(cli: CliRunner, kind: str, tmp_path: Path) -> None:
    loaded = cli.invoke(
        app,
        [
            "index",
            "load",
            "kit",
            str(DEMO_FILE),
            "--text-field",
            "title",
            "--text-field",
            "summary",
            "--filter-field",
            "category",
            "--filter-field",
            "year",
            "--sort-field",
            "year",
        ],
    )
    found = cli.invoke(
        app, ["index", "search", "kit", "diesel generator", "--filter", "category=generator"]
    )
    refused = cli.invoke(app, ["index", "search", "kit", "pump", "--filter", "site=harbour"])
    missing = cli.invoke(app, ["index", "search", "nope", "pump"])
    listed = cli.invoke(app, ["index", "list"])

    assert loaded.exit_code == 0, loaded.output
    assert "loaded 200 documents into kit" in loaded.output
    assert (tmp_path / "var" / "search" / INDEX_PATHS[kind]).is_file()
    assert found.exit_code == 0, found.output
    assert "matches" in found.stdout
    assert "diesel generator" in found.stdout
    assert refused.exit_code == 1
    assert "invalid.search_field" in refused.output
    assert missing.exit_code == 1
    assert "not_found.index" in missing.output
    assert "kit" in listed.stdout
    assert "200" in listed.stdout


def test_demo_command_is_idempotent(cli: CliRunner) -> None:
    first = cli.invoke(app, ["index", "demo"])
    again = cli.invoke(app, ["index", "demo"])
    found = cli.invoke(app, ["index", "search", "equipment", "radio", "--limit", "3"])

    assert first.exit_code == again.exit_code == found.exit_code == 0, first.output
    assert "loaded 200 demo documents" in again.output
    assert found.stdout.count("│ eq-") == 3


def test_load_without_fields_needs_an_existing_index(cli: CliRunner) -> None:
    result = cli.invoke(app, ["index", "load", "fresh", str(DEMO_FILE)])

    assert result.exit_code == 1
    assert "not_found.index" in result.output


def test_a_file_with_a_bad_line_stops_the_load(cli: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": 1, "title": "pump"}\n\n{"id": 2, "title": "valve"}\n')
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": 1, "title": "pump"}\nnot json\n')
    listed = tmp_path / "listed.jsonl"
    listed.write_text("[1, 2]\n")
    create = ["--text-field", "title"]

    loaded = cli.invoke(app, ["index", "load", "kit", str(good), *create])
    not_json = cli.invoke(app, ["index", "load", "kit", str(broken)])
    not_object = cli.invoke(app, ["index", "load", "kit", str(listed)])

    assert loaded.exit_code == 0, loaded.output
    assert "loaded 2 documents into kit" in loaded.output
    assert (not_json.exit_code, not_object.exit_code) == (1, 1)
    assert "broken.jsonl line 2 is not JSON" in not_json.output
    assert "listed.jsonl line 1 is not an object" in not_object.output
