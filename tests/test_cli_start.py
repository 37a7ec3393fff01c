"""The command lines start at once: `--help` lists every command, each with its own
one-line help, without importing the web framework, the database layer or Celery."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main
from typer import _click

from airlock_cli.main import app as airlock_client
from core.lazy_cli import LazyCommand
from request_network.cli import app as request_cli
from response_network.cli import app as response_cli
from shared.platform.cli import app as airlock

COMMAND_LINES = {
    "airlock": ("shared.platform.cli", airlock),
    "airlock-response": ("response_network.cli", response_cli),
    "airlock-request": ("request_network.cli", request_cli),
    "airlock-client": ("airlock_cli.main", airlock_client),
}
# httpx, the generated client and the schema engine: what `airlock-client` loads only to call.
HEAVY = (
    *("fastapi", "sqlalchemy", "celery", "alembic", "uvicorn", "redis", "tantivy"),
    *("httpx", "airlock_client", "jsonschema_rs"),
)

HELP_IN_A_FRESH_INTERPRETER = """
import json, sys
from importlib import import_module
from typer.testing import CliRunner
modules, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
helps = {}
for prog, module in modules.items():
    app = import_module(module).app
    result = CliRunner().invoke(app, ["--help"], prog_name=prog, env={"COLUMNS": "200"})
    helps[prog] = [result.exit_code, result.output]
print(json.dumps({"helps": helps, "loaded": [name for name in heavy if name in sys.modules]}))
"""


def commands(app: typer.Typer) -> dict[str, _click.Command]:
    group = typer.main.get_group(app)
    context = _click.Context(group)
    listed = {name: group.get_command(context, name) for name in group.list_commands(context)}
    return {name: command for name, command in listed.items() if command is not None}


def first_paragraph(text: str | None) -> str:
    return inspect.cleandoc(text or "").split("\n\n")[0].replace("\n", " ")


def test_help_lists_every_command_without_loading_the_frameworks() -> None:
    modules = {prog: module for prog, (module, _app) in COMMAND_LINES.items()}
    done = subprocess.run(
        [sys.executable, "-c", HELP_IN_A_FRESH_INTERPRETER, json.dumps(modules), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(done.stdout)

    assert report["loaded"] == []
    for prog, (_module, app) in COMMAND_LINES.items():
        exit_code, output = report["helps"][prog]
        assert exit_code == 0
        for name, command in commands(app).items():
            assert f" {name} " in output
            assert first_paragraph(command.help) in output


@pytest.mark.parametrize("prog", sorted(COMMAND_LINES))
def test_each_listed_help_is_the_commands_own(prog: str) -> None:
    _module, app = COMMAND_LINES[prog]
    for name, command in commands(app).items():
        if isinstance(command, LazyCommand):
            assert command.help == first_paragraph(command.load().help), name


@pytest.mark.parametrize("prog", sorted(COMMAND_LINES))
def test_the_installed_command_starts(prog: str) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / prog), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"Usage: {prog} [OPTIONS] COMMAND [ARGS]..." in done.stdout
