from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="WindowQuota")


@_attrs_define
class WindowQuota:
    """One window: its limits, what is used and when the oldest counted submission leaves.

    Attributes:
        hard (int):
        remaining (int):
        reset_after_seconds (int):
        reset_at (datetime.datetime | None):
        seconds (int):
        soft (int | None):
        used (int):
        window (str):
    """

    hard: int
    remaining: int
    reset_after_seconds: int
    reset_at: datetime.datetime | None
    seconds: int
    soft: int | None
    used: int
    window: str

    def to_dict(self) -> dict[str, Any]:
        hard = self.hard

        remaining = self.remaining

        reset_after_seconds = self.reset_after_seconds

        reset_at: None | str
        if isinstance(self.reset_at, datetime.datetime):
            reset_at = self.reset_at.isoformat()
        else:
            reset_at = self.reset_at

        seconds = self.seconds

        soft: int | None
        soft = self.soft

        used = self.used

        window = self.window

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "hard": hard,
                "remaining": remaining,
                "reset_after_seconds": reset_after_seconds,
                "reset_at": reset_at,
                "seconds": seconds,
                "soft": soft,
                "used": used,
                "window": window,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        hard = d.pop("hard")

        remaining = d.pop("remaining")

        reset_after_seconds = d.pop("reset_after_seconds")

        def _parse_reset_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reset_at_type_0 = datetime.datetime.fromisoformat(data)

                return reset_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        reset_at = _parse_reset_at(d.pop("reset_at"))

        seconds = d.pop("seconds")

        def _parse_soft(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        soft = _parse_soft(d.pop("soft"))

        used = d.pop("used")

        window = d.pop("window")

        window_quota = cls(
            hard=hard,
            remaining=remaining,
            reset_after_seconds=reset_after_seconds,
            reset_at=reset_at,
            seconds=seconds,
            soft=soft,
            used=used,
            window=window,
        )

        return window_quota
