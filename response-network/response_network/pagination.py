"""Opaque keyset cursors: the client passes back what it got, never builds one itself."""

from __future__ import annotations

import base64
import binascii
import json

from core.errors import Invalid
from response_network.schemas import storable_text

MAX_CURSOR_LENGTH = 512


def encode_cursor(position: dict[str, str]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, keys: frozenset[str]) -> dict[str, str]:
    """The position a cursor names; `Invalid` (422) for anything this API did not mint."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (ValueError, binascii.Error) as exc:
        raise Invalid("cursor is not one this API returned", code="invalid.cursor") from exc
    if (
        not isinstance(position, dict)
        or set(position) != keys
        or not all(isinstance(value, str) for value in position.values())
    ):
        raise Invalid("cursor is not one this API returned", code="invalid.cursor")
    try:
        storable_text(position)
    except ValueError as exc:
        raise Invalid("cursor is not one this API returned", code="invalid.cursor") from exc
    return position
