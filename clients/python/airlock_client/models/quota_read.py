from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.request_type_quota import RequestTypeQuota
    from ..models.window_quota import WindowQuota


T = TypeVar("T", bound="QuotaRead")


@_attrs_define
class QuotaRead:
    """
    Attributes:
        profile (str):
        request_types (list[RequestTypeQuota]):
        user_id (UUID):
        windows (list[WindowQuota]):
    """

    profile: str
    request_types: list[RequestTypeQuota]
    user_id: UUID
    windows: list[WindowQuota]

    def to_dict(self) -> dict[str, Any]:
        profile = self.profile

        request_types = []
        for request_types_item_data in self.request_types:
            request_types_item = request_types_item_data.to_dict()
            request_types.append(request_types_item)

        user_id = str(self.user_id)

        windows = []
        for windows_item_data in self.windows:
            windows_item = windows_item_data.to_dict()
            windows.append(windows_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "profile": profile,
                "request_types": request_types,
                "user_id": user_id,
                "windows": windows,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.request_type_quota import RequestTypeQuota  # noqa: PLC0415
        from ..models.window_quota import WindowQuota  # noqa: PLC0415

        d = dict(src_dict)
        profile = d.pop("profile")

        request_types = []
        _request_types = d.pop("request_types")
        for request_types_item_data in _request_types:
            request_types_item = RequestTypeQuota.from_dict(request_types_item_data)

            request_types.append(request_types_item)

        user_id = UUID(d.pop("user_id"))

        windows = []
        _windows = d.pop("windows")
        for windows_item_data in _windows:
            windows_item = WindowQuota.from_dict(windows_item_data)

            windows.append(windows_item)

        quota_read = cls(
            profile=profile,
            request_types=request_types,
            user_id=user_id,
            windows=windows,
        )

        return quota_read
