"""The committed client (`clients/python`) is what openapi-python-client writes for the
committed description: regenerated offline, from the pinned generator `make install` sets up."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.client import CLIENT, generate

SKIPPED = {"__pycache__", ".ruff_cache"}


def files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not SKIPPED & set(path.relative_to(root).parts)
    }


@pytest.mark.slow
def test_the_committed_client_is_what_the_generator_writes(tmp_path: Path) -> None:
    generate(tmp_path / "python")

    written, committed = files(tmp_path / "python"), files(CLIENT)
    drifted = sorted(
        name
        for name in written.keys() | committed.keys()
        if written.get(name) != committed.get(name)
    )
    assert drifted == [], "the client drifted from the spec: run `make client` and commit it"
