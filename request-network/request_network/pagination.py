"""Opaque keyset cursors: the client passes back what it got, never builds one itself."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime

from core.errors import Invalid

MAX_CURSOR_LENGTH = 512


def _refuse() -> Invalid:
    return Invalid("cursor is not one this API returned", code="invalid.cursor")


def encode_cursor(at: datetime, item_id: uuid.UUID) -> str:
    raw = json.dumps({"at": at.isoformat(), "id": str(item_id)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (timestamp, id) position a cursor names; `Invalid` (422) for anything else."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(position, dict) or set(position) != {"at", "id"}:
            raise ValueError("not a position")
        at, item_id = datetime.fromisoformat(position["at"]), uuid.UUID(position["id"])
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise _refuse() from exc
    if at.tzinfo is None:
        raise _refuse()
    return at, item_id
