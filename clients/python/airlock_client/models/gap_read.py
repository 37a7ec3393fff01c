from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="GapRead")


@_attrs_define
class GapRead:
    """
    Attributes:
        declared_lost (bool):
        sequence (int):
        stream (str):
    """

    declared_lost: bool
    sequence: int
    stream: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        declared_lost = self.declared_lost

        sequence = self.sequence

        stream = self.stream

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "declared_lost": declared_lost,
                "sequence": sequence,
                "stream": stream,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        declared_lost = d.pop("declared_lost")

        sequence = d.pop("sequence")

        stream = d.pop("stream")

        gap_read = cls(
            declared_lost=declared_lost,
            sequence=sequence,
            stream=stream,
        )

        gap_read.additional_properties = d
        return gap_read

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
