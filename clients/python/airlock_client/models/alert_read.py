from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.alert_read_details import AlertReadDetails


T = TypeVar("T", bound="AlertRead")


@_attrs_define
class AlertRead:
    """
    Attributes:
        delivery_attempts (int):
        delivery_error (None | str):
        delivery_state (str):
        details (AlertReadDetails):
        first_seen_at (datetime.datetime):
        id (UUID):
        last_seen_at (datetime.datetime):
        next_delivery_at (datetime.datetime | None):
        resolved_at (datetime.datetime | None):
        rule (str):
        severity (str):
        state (str):
        subject (str):
        summary (str):
    """

    delivery_attempts: int
    delivery_error: None | str
    delivery_state: str
    details: AlertReadDetails
    first_seen_at: datetime.datetime
    id: UUID
    last_seen_at: datetime.datetime
    next_delivery_at: datetime.datetime | None
    resolved_at: datetime.datetime | None
    rule: str
    severity: str
    state: str
    subject: str
    summary: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        delivery_attempts = self.delivery_attempts

        delivery_error: None | str
        delivery_error = self.delivery_error

        delivery_state = self.delivery_state

        details = self.details.to_dict()

        first_seen_at = self.first_seen_at.isoformat()

        id = str(self.id)

        last_seen_at = self.last_seen_at.isoformat()

        next_delivery_at: None | str
        if isinstance(self.next_delivery_at, datetime.datetime):
            next_delivery_at = self.next_delivery_at.isoformat()
        else:
            next_delivery_at = self.next_delivery_at

        resolved_at: None | str
        if isinstance(self.resolved_at, datetime.datetime):
            resolved_at = self.resolved_at.isoformat()
        else:
            resolved_at = self.resolved_at

        rule = self.rule

        severity = self.severity

        state = self.state

        subject = self.subject

        summary = self.summary

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "delivery_attempts": delivery_attempts,
                "delivery_error": delivery_error,
                "delivery_state": delivery_state,
                "details": details,
                "first_seen_at": first_seen_at,
                "id": id,
                "last_seen_at": last_seen_at,
                "next_delivery_at": next_delivery_at,
                "resolved_at": resolved_at,
                "rule": rule,
                "severity": severity,
                "state": state,
                "subject": subject,
                "summary": summary,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.alert_read_details import AlertReadDetails  # noqa: PLC0415

        d = dict(src_dict)
        delivery_attempts = d.pop("delivery_attempts")

        def _parse_delivery_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        delivery_error = _parse_delivery_error(d.pop("delivery_error"))

        delivery_state = d.pop("delivery_state")

        details = AlertReadDetails.from_dict(d.pop("details"))

        first_seen_at = datetime.datetime.fromisoformat(d.pop("first_seen_at"))

        id = UUID(d.pop("id"))

        last_seen_at = datetime.datetime.fromisoformat(d.pop("last_seen_at"))

        def _parse_next_delivery_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_delivery_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_delivery_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_delivery_at = _parse_next_delivery_at(d.pop("next_delivery_at"))

        def _parse_resolved_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                resolved_at_type_0 = datetime.datetime.fromisoformat(data)

                return resolved_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        resolved_at = _parse_resolved_at(d.pop("resolved_at"))

        rule = d.pop("rule")

        severity = d.pop("severity")

        state = d.pop("state")

        subject = d.pop("subject")

        summary = d.pop("summary")

        alert_read = cls(
            delivery_attempts=delivery_attempts,
            delivery_error=delivery_error,
            delivery_state=delivery_state,
            details=details,
            first_seen_at=first_seen_at,
            id=id,
            last_seen_at=last_seen_at,
            next_delivery_at=next_delivery_at,
            resolved_at=resolved_at,
            rule=rule,
            severity=severity,
            state=state,
            subject=subject,
            summary=summary,
        )

        alert_read.additional_properties = d
        return alert_read

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
