from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.window_quota import WindowQuota


T = TypeVar("T", bound="RequestTypeQuota")


@_attrs_define
class RequestTypeQuota:
    """
    Attributes:
        request_type (str):
        windows (list[WindowQuota]):
    """

    request_type: str
    windows: list[WindowQuota]

    def to_dict(self) -> dict[str, Any]:
        request_type = self.request_type

        windows = []
        for windows_item_data in self.windows:
            windows_item = windows_item_data.to_dict()
            windows.append(windows_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "request_type": request_type,
                "windows": windows,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.window_quota import WindowQuota  # noqa: PLC0415

        d = dict(src_dict)
        request_type = d.pop("request_type")

        windows = []
        _windows = d.pop("windows")
        for windows_item_data in _windows:
            windows_item = WindowQuota.from_dict(windows_item_data)

            windows.append(windows_item)

        request_type_quota = cls(
            request_type=request_type,
            windows=windows,
        )

        return request_type_quota
