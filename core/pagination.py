"""Opaque keyset cursors: the client passes back what it got, never builds one itself.

A cursor is a small JSON object of strings, base64url without padding. Most lists page by
(time, id) with `encode_cursor`/`decode_cursor`; a list ordered otherwise names its own keys
with `encode_position`/`decode_position` and reads its fields with `position_time` and
`position_id`. Anything this API did not mint is `Invalid` (422 `invalid.cursor`).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Query

from core.errors import Invalid
from core.inputs import INTEGER_TEXT

MAX_CURSOR_LENGTH = 512


def refuse_cursor() -> Invalid:
    return Invalid("cursor is not one this API returned", code="invalid.cursor")


def encode_position(position: dict[str, str]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _storable(text: str) -> bool:
    """No NUL (PostgreSQL refuses it in a query parameter) and no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode_position(cursor: str, *, keys: frozenset[str]) -> dict[str, str]:
    """The position a cursor names, exactly `keys`, every value storable text."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise refuse_cursor() from exc
    if (
        not isinstance(position, dict)
        or set(position) != keys
        or not all(isinstance(value, str) and _storable(value) for value in position.values())
    ):
        raise refuse_cursor()
    return position


def position_time(value: str) -> datetime:
    """A cursor's time field: ISO 8601 with an offset (every time we mint has one)."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise refuse_cursor() from exc
    if at.tzinfo is None:
        raise refuse_cursor()
    return at


def position_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise refuse_cursor() from exc


_TIME_AND_ID = frozenset({"at", "id"})


def encode_cursor(at: datetime, item_id: uuid.UUID) -> str:
    """The cursor after the item at (`at`, `item_id`) in a list ordered by time, then id."""
    return encode_position({"at": at.isoformat(), "id": str(item_id)})


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (time, id) position an `encode_cursor` cursor names."""
    position = decode_position(cursor, keys=_TIME_AND_ID)
    return position_time(position["at"]), position_id(position["id"])


DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE), INTEGER_TEXT]
"""A list's `limit` (the API's and the console's): 1 to `MAX_PAGE_SIZE` rows a page,
`DEFAULT_PAGE_SIZE` unless asked."""
