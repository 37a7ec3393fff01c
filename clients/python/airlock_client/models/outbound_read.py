from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="OutboundRead")


@_attrs_define
class OutboundRead:
    """
    Attributes:
        acked_through (int):
        last_sent_at (datetime.datetime | None):
        last_sequence (int):
        stream (str):
        unacknowledged (int):
    """

    acked_through: int
    last_sent_at: datetime.datetime | None
    last_sequence: int
    stream: str
    unacknowledged: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        acked_through = self.acked_through

        last_sent_at: None | str
        if isinstance(self.last_sent_at, datetime.datetime):
            last_sent_at = self.last_sent_at.isoformat()
        else:
            last_sent_at = self.last_sent_at

        last_sequence = self.last_sequence

        stream = self.stream

        unacknowledged = self.unacknowledged

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acked_through": acked_through,
                "last_sent_at": last_sent_at,
                "last_sequence": last_sequence,
                "stream": stream,
                "unacknowledged": unacknowledged,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        acked_through = d.pop("acked_through")

        def _parse_last_sent_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_sent_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_sent_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_sent_at = _parse_last_sent_at(d.pop("last_sent_at"))

        last_sequence = d.pop("last_sequence")

        stream = d.pop("stream")

        unacknowledged = d.pop("unacknowledged")

        outbound_read = cls(
            acked_through=acked_through,
            last_sent_at=last_sent_at,
            last_sequence=last_sequence,
            stream=stream,
            unacknowledged=unacknowledged,
        )

        outbound_read.additional_properties = d
        return outbound_read

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
