from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.request_status import RequestStatus

T = TypeVar("T", bound="RequestEventRead")


@_attrs_define
class RequestEventRead:
    """
    Attributes:
        at (datetime.datetime):
        reason (None | str):
        status (RequestStatus):
    """

    at: datetime.datetime
    reason: None | str
    status: RequestStatus

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        reason: None | str
        reason = self.reason

        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "at": at,
                "reason": reason,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        def _parse_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reason = _parse_reason(d.pop("reason"))

        status = RequestStatus(d.pop("status"))

        request_event_read = cls(
            at=at,
            reason=reason,
            status=status,
        )

        return request_event_read
