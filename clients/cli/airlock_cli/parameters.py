"""A submission's parameters from the command line, checked against the type's JSON Schema
before anything is sent: a mistake costs no quota (a refused submission counts)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from airlock_cli.exits import ExitCode, Failure

MAX_FILE_BYTES = 1024 * 1024
"""The request network's default body limit: a larger file could not be sent anyway."""


def from_pairs(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs; a value that parses as JSON is that value (`n=3`, `on=true`, `x=[1]`),
    anything else a string (`city=Oslo`)."""
    parameters: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise Failure(f"--param {pair!r}: expected NAME=VALUE", ExitCode.USAGE)
        try:
            parameters[name] = json.loads(raw)
        except ValueError:
            parameters[name] = raw
    return parameters


def from_file(source: str) -> dict[str, Any]:
    """A JSON object from a file, or from standard input for `-`."""
    label = "standard input" if source == "-" else source
    try:
        if source == "-":
            text = sys.stdin.read(MAX_FILE_BYTES + 1)
        else:
            with Path(source).open(encoding="utf-8") as file:
                text = file.read(MAX_FILE_BYTES + 1)
    except (OSError, UnicodeDecodeError) as error:
        raise Failure(f"cannot read {label}: {error}", ExitCode.USAGE) from None
    if len(text) > MAX_FILE_BYTES:
        raise Failure(f"{label} is over {MAX_FILE_BYTES} bytes", ExitCode.USAGE)
    try:
        parameters = json.loads(text)
    except ValueError as error:
        raise Failure(f"{label} is not JSON: {error}", ExitCode.USAGE) from None
    if not isinstance(parameters, dict):
        raise Failure(f"{label} must hold a JSON object of parameters", ExitCode.USAGE)
    return parameters


def check(parameters: dict[str, Any], schema: dict[str, Any], request_type: str) -> None:
    """Raise a `Failure` naming the first field that breaks the type's schema.

    The request network's own engine and options (jsonschema-rs, formats checked, never
    fetching a reference): what passes here passes there. A schema this engine cannot
    compile is left to the server to judge.
    """
    import jsonschema_rs

    try:
        validator = jsonschema_rs.validator_for(
            schema,
            validate_formats=True,
            offline=True,
            pattern_options=jsonschema_rs.RegexOptions(),
        )
    except (jsonschema_rs.ValidationError, ValueError, TypeError):
        return
    try:
        validator.validate(parameters)
    except jsonschema_rs.ValidationError as error:
        where = ".".join(str(part) for part in error.instance_path) or "parameters"
        raise Failure(
            f"{request_type}: {where}: {error.message} (`airlock-client types` shows the schema)",
            ExitCode.USAGE,
        ) from None
    except (ValueError, TypeError, OverflowError):
        raise Failure(f"{request_type}: parameters are not plain JSON", ExitCode.USAGE) from None
