from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="InboundRead")


@_attrs_define
class InboundRead:
    """
    Attributes:
        acked_through (int):
        lag_seconds (float | None):
        last_received_at (datetime.datetime | None):
        last_sequence (int):
        open_gaps (list[int]):
        since_last_seconds (float | None):
        stream (str):
    """

    acked_through: int
    lag_seconds: float | None
    last_received_at: datetime.datetime | None
    last_sequence: int
    open_gaps: list[int]
    since_last_seconds: float | None
    stream: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        acked_through = self.acked_through

        lag_seconds: float | None
        lag_seconds = self.lag_seconds

        last_received_at: None | str
        if isinstance(self.last_received_at, datetime.datetime):
            last_received_at = self.last_received_at.isoformat()
        else:
            last_received_at = self.last_received_at

        last_sequence = self.last_sequence

        open_gaps = self.open_gaps

        since_last_seconds: float | None
        since_last_seconds = self.since_last_seconds

        stream = self.stream

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acked_through": acked_through,
                "lag_seconds": lag_seconds,
                "last_received_at": last_received_at,
                "last_sequence": last_sequence,
                "open_gaps": open_gaps,
                "since_last_seconds": since_last_seconds,
                "stream": stream,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        acked_through = d.pop("acked_through")

        def _parse_lag_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        lag_seconds = _parse_lag_seconds(d.pop("lag_seconds"))

        def _parse_last_received_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_received_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_received_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_received_at = _parse_last_received_at(d.pop("last_received_at"))

        last_sequence = d.pop("last_sequence")

        open_gaps = cast(list[int], d.pop("open_gaps"))

        def _parse_since_last_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        since_last_seconds = _parse_since_last_seconds(d.pop("since_last_seconds"))

        stream = d.pop("stream")

        inbound_read = cls(
            acked_through=acked_through,
            lag_seconds=lag_seconds,
            last_received_at=last_received_at,
            last_sequence=last_sequence,
            open_gaps=open_gaps,
            since_last_seconds=since_last_seconds,
            stream=stream,
        )

        inbound_read.additional_properties = d
        return inbound_read

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
