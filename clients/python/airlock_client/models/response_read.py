from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.request_status import RequestStatus

T = TypeVar("T", bound="ResponseRead")


@_attrs_define
class ResponseRead:
    """
    Attributes:
        answer_number (int):
        answered_at (datetime.datetime | None):
        answered_by (None | str):
        body (Any):
        content_type (None | str):
        reason (None | str):
        request_id (UUID):
        status (RequestStatus):
    """

    answer_number: int
    answered_at: datetime.datetime | None
    answered_by: None | str
    body: Any
    content_type: None | str
    reason: None | str
    request_id: UUID
    status: RequestStatus

    def to_dict(self) -> dict[str, Any]:
        answer_number = self.answer_number

        answered_at: None | str
        if isinstance(self.answered_at, datetime.datetime):
            answered_at = self.answered_at.isoformat()
        else:
            answered_at = self.answered_at

        answered_by: None | str
        answered_by = self.answered_by

        body = self.body

        content_type: None | str
        content_type = self.content_type

        reason: None | str
        reason = self.reason

        request_id = str(self.request_id)

        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "answer_number": answer_number,
                "answered_at": answered_at,
                "answered_by": answered_by,
                "body": body,
                "content_type": content_type,
                "reason": reason,
                "request_id": request_id,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        answer_number = d.pop("answer_number")

        def _parse_answered_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                answered_at_type_0 = datetime.datetime.fromisoformat(data)

                return answered_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        answered_at = _parse_answered_at(d.pop("answered_at"))

        def _parse_answered_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        answered_by = _parse_answered_by(d.pop("answered_by"))

        body = d.pop("body")

        def _parse_content_type(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        content_type = _parse_content_type(d.pop("content_type"))

        def _parse_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reason = _parse_reason(d.pop("reason"))

        request_id = UUID(d.pop("request_id"))

        status = RequestStatus(d.pop("status"))

        response_read = cls(
            answer_number=answer_number,
            answered_at=answered_at,
            answered_by=answered_by,
            body=body,
            content_type=content_type,
            reason=reason,
            request_id=request_id,
            status=status,
        )

        return response_read
