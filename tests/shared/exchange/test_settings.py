"""The transfer settings read from the environment as an operator writes them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from request_network.settings import RequestSettings


@pytest.mark.parametrize(("text", "mode"), [("0600", 0o600), ("0o640", 0o640), ("755", 0o755)])
def test_the_batch_file_mode_is_octal_as_chmod_takes_it(
    text: str, mode: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRLOCK_REQUEST_BATCH_FILE_MODE", text)
    assert RequestSettings().batch_file_mode == mode


@pytest.mark.parametrize("text", ["0200", "1777", "rw-r-----", "0o1000"])
def test_a_batch_file_mode_beyond_permissions_or_unreadable_is_refused(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRLOCK_REQUEST_BATCH_FILE_MODE", text)
    with pytest.raises(ValidationError, match="batch_file_mode"):
        RequestSettings()


def test_the_defaults_keep_batch_files_from_others() -> None:
    settings = RequestSettings()
    assert (settings.batch_file_mode, settings.processed_retention_hours) == (0o640, None)
