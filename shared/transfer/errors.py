"""The one error a batch can fail with, whatever went wrong with it."""

from __future__ import annotations

from typing import Any


class BatchRejected(Exception):
    """A batch file that must not be applied.

    `code` is stable and machine-readable (`batch.signature`), `detail` is for a human and
    never carries record contents or key material, `check` names the check that failed.
    """

    def __init__(self, code: str, detail: str, check: str | None = None) -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail
        self.check = check or code.removeprefix("batch.")

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.detail, self.check))
