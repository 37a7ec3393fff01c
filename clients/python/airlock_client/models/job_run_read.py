from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="JobRunRead")


@_attrs_define
class JobRunRead:
    """
    Attributes:
        error (None | str):
        outcome (str):
        seconds (float):
        started_at (datetime.datetime):
    """

    error: None | str
    outcome: str
    seconds: float
    started_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        error: None | str
        error = self.error

        outcome = self.outcome

        seconds = self.seconds

        started_at = self.started_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "error": error,
                "outcome": outcome,
                "seconds": seconds,
                "started_at": started_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error = _parse_error(d.pop("error"))

        outcome = d.pop("outcome")

        seconds = d.pop("seconds")

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        job_run_read = cls(
            error=error,
            outcome=outcome,
            seconds=seconds,
            started_at=started_at,
        )

        job_run_read.additional_properties = d
        return job_run_read

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
