from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.request_status import RequestStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.request_detail_parameters import RequestDetailParameters
    from ..models.request_event_read import RequestEventRead


T = TypeVar("T", bound="RequestDetail")


@_attrs_define
class RequestDetail:
    """
    Attributes:
        created_at (datetime.datetime):
        history (list[RequestEventRead]):
        id (UUID):
        owner_id (UUID):
        parameters (RequestDetailParameters):
        priority (int):
        request_type (str):
        status (RequestStatus):
        status_reason (None | str):
        type_version (int):
        updated_at (datetime.datetime):
        cancel_requested_at (datetime.datetime | None | Unset):
    """

    created_at: datetime.datetime
    history: list[RequestEventRead]
    id: UUID
    owner_id: UUID
    parameters: RequestDetailParameters
    priority: int
    request_type: str
    status: RequestStatus
    status_reason: None | str
    type_version: int
    updated_at: datetime.datetime
    cancel_requested_at: datetime.datetime | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        history = []
        for history_item_data in self.history:
            history_item = history_item_data.to_dict()
            history.append(history_item)

        id = str(self.id)

        owner_id = str(self.owner_id)

        parameters = self.parameters.to_dict()

        priority = self.priority

        request_type = self.request_type

        status = self.status.value

        status_reason: None | str
        status_reason = self.status_reason

        type_version = self.type_version

        updated_at = self.updated_at.isoformat()

        cancel_requested_at: None | str | Unset
        if isinstance(self.cancel_requested_at, Unset):
            cancel_requested_at = UNSET
        elif isinstance(self.cancel_requested_at, datetime.datetime):
            cancel_requested_at = self.cancel_requested_at.isoformat()
        else:
            cancel_requested_at = self.cancel_requested_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "created_at": created_at,
                "history": history,
                "id": id,
                "owner_id": owner_id,
                "parameters": parameters,
                "priority": priority,
                "request_type": request_type,
                "status": status,
                "status_reason": status_reason,
                "type_version": type_version,
                "updated_at": updated_at,
            }
        )
        if cancel_requested_at is not UNSET:
            field_dict["cancel_requested_at"] = cancel_requested_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.request_detail_parameters import RequestDetailParameters  # noqa: PLC0415
        from ..models.request_event_read import RequestEventRead  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        history = []
        _history = d.pop("history")
        for history_item_data in _history:
            history_item = RequestEventRead.from_dict(history_item_data)

            history.append(history_item)

        id = UUID(d.pop("id"))

        owner_id = UUID(d.pop("owner_id"))

        parameters = RequestDetailParameters.from_dict(d.pop("parameters"))

        priority = d.pop("priority")

        request_type = d.pop("request_type")

        status = RequestStatus(d.pop("status"))

        def _parse_status_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        status_reason = _parse_status_reason(d.pop("status_reason"))

        type_version = d.pop("type_version")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_cancel_requested_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                cancel_requested_at_type_0 = datetime.datetime.fromisoformat(data)

                return cancel_requested_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        cancel_requested_at = _parse_cancel_requested_at(d.pop("cancel_requested_at", UNSET))

        request_detail = cls(
            created_at=created_at,
            history=history,
            id=id,
            owner_id=owner_id,
            parameters=parameters,
            priority=priority,
            request_type=request_type,
            status=status,
            status_reason=status_reason,
            type_version=type_version,
            updated_at=updated_at,
            cancel_requested_at=cancel_requested_at,
        )

        return request_detail
