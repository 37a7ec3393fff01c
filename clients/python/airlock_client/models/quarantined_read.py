from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="QuarantinedRead")


@_attrs_define
class QuarantinedRead:
    """
    Attributes:
        at (datetime.datetime):
        check (str):
        code (str):
        detail (str):
        file (str):
    """

    at: datetime.datetime
    check: str
    code: str
    detail: str
    file: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        check = self.check

        code = self.code

        detail = self.detail

        file = self.file

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "check": check,
                "code": code,
                "detail": detail,
                "file": file,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        check = d.pop("check")

        code = d.pop("code")

        detail = d.pop("detail")

        file = d.pop("file")

        quarantined_read = cls(
            at=at,
            check=check,
            code=code,
            detail=detail,
            file=file,
        )

        quarantined_read.additional_properties = d
        return quarantined_read

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
