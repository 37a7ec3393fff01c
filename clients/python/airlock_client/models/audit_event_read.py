from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.audit_event_read_details_type_0 import AuditEventReadDetailsType0


T = TypeVar("T", bound="AuditEventRead")


@_attrs_define
class AuditEventRead:
    """
    Attributes:
        action (str):
        actor_id (None | UUID):
        actor_name (str):
        client_address (None | str):
        details (AuditEventReadDetailsType0 | None):
        id (UUID):
        object_id (None | str):
        object_type (str):
        occurred_at (datetime.datetime):
        result (str):
    """

    action: str
    actor_id: None | UUID
    actor_name: str
    client_address: None | str
    details: AuditEventReadDetailsType0 | None
    id: UUID
    object_id: None | str
    object_type: str
    occurred_at: datetime.datetime
    result: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.audit_event_read_details_type_0 import AuditEventReadDetailsType0  # noqa: PLC0415

        action = self.action

        actor_id: None | str
        if isinstance(self.actor_id, UUID):
            actor_id = str(self.actor_id)
        else:
            actor_id = self.actor_id

        actor_name = self.actor_name

        client_address: None | str
        client_address = self.client_address

        details: dict[str, Any] | None
        if isinstance(self.details, AuditEventReadDetailsType0):
            details = self.details.to_dict()
        else:
            details = self.details

        id = str(self.id)

        object_id: None | str
        object_id = self.object_id

        object_type = self.object_type

        occurred_at = self.occurred_at.isoformat()

        result = self.result

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "actor_id": actor_id,
                "actor_name": actor_name,
                "client_address": client_address,
                "details": details,
                "id": id,
                "object_id": object_id,
                "object_type": object_type,
                "occurred_at": occurred_at,
                "result": result,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_event_read_details_type_0 import AuditEventReadDetailsType0  # noqa: PLC0415

        d = dict(src_dict)
        action = d.pop("action")

        def _parse_actor_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                actor_id_type_0 = UUID(data)

                return actor_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        actor_id = _parse_actor_id(d.pop("actor_id"))

        actor_name = d.pop("actor_name")

        def _parse_client_address(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        client_address = _parse_client_address(d.pop("client_address"))

        def _parse_details(data: object) -> AuditEventReadDetailsType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                details_type_0 = AuditEventReadDetailsType0.from_dict(data)

                return details_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AuditEventReadDetailsType0 | None, data)

        details = _parse_details(d.pop("details"))

        id = UUID(d.pop("id"))

        def _parse_object_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        object_id = _parse_object_id(d.pop("object_id"))

        object_type = d.pop("object_type")

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        result = d.pop("result")

        audit_event_read = cls(
            action=action,
            actor_id=actor_id,
            actor_name=actor_name,
            client_address=client_address,
            details=details,
            id=id,
            object_id=object_id,
            object_type=object_type,
            occurred_at=occurred_at,
            result=result,
        )

        audit_event_read.additional_properties = d
        return audit_event_read

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
