"""Posted admin forms turned into the API's request bodies: window limits as fields, JSON
textareas, lists typed one per line, numbers. Only conversion: the API's schemas validate."""

from __future__ import annotations

import json
import re
from typing import Any, get_args

from shared.records import Window

WINDOWS: tuple[str, ...] = get_args(Window)
LIMIT_FIELDS = "limit"
"""Form names of a window's bounds: `limit.<window>.soft`, `limit.<window>.hard`."""


class BadJson(ValueError):
    def __init__(self, field: str, exc: ValueError) -> None:
        super().__init__(f"not valid JSON: {exc}")
        self.field = field


def form_integer(value: Any) -> Any:
    """A number field as the API's body takes it: a JSON integer, since the API converts no
    text (`core/inputs.py`). Anything else stays text, for the schema to refuse."""
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else text


def window_limits(posted: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The windows with a bound given; an empty bound of a given window is left to the schema
    to refuse (both are required)."""
    limits: dict[str, dict[str, Any]] = {}
    for window in WINDOWS:
        soft = str(posted.get(f"{LIMIT_FIELDS}.{window}.soft", "")).strip()
        hard = str(posted.get(f"{LIMIT_FIELDS}.{window}.hard", "")).strip()
        if soft or hard:
            limits[window] = {"soft": form_integer(soft), "hard": form_integer(hard)}
    return limits


def json_field(posted: dict[str, Any], name: str, *, empty: Any = None) -> Any:
    text = str(posted.get(name, "")).strip()
    if not text:
        return empty
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadJson(name, exc) from exc


def name_list(posted: dict[str, Any], name: str) -> list[str]:
    text = str(posted.get(name, ""))
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
