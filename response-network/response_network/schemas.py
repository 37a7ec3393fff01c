"""The one base model config of the response network's API schemas."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

NO_NUL = r"^[^\x00]*$"
"""Pattern for text query parameters (bodies are checked by `Schema`)."""

NOT_BLANK = r"\S"
"""Pattern for text that is stripped then must not be empty: the description says so too
(`minLength` alone would promise that a name of spaces is accepted)."""


def storable_text(value: Any) -> Any:
    """Refuse text no database stores faithfully: NUL characters (PostgreSQL rejects them)
    and lone surrogates (not UTF-8). Walks nested dicts and lists."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("text must be valid Unicode") from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            storable_text(key)
            storable_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            storable_text(item)
    return value


class Schema(BaseModel):
    """Unknown fields are errors (a typo must not pass silently); reads come from ORM rows."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        return storable_text(data) if isinstance(data, dict) else data
