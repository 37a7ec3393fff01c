"""The one base model config of the request network's API schemas."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """Unknown fields are errors (a typo must not pass silently); reads come from ORM rows."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)
