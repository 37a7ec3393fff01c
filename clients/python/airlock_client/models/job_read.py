from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.job_run_read import JobRunRead


T = TypeVar("T", bound="JobRead")


@_attrs_define
class JobRead:
    """
    Attributes:
        every_seconds (float | None):
        last_failure (JobRunRead | None):
        last_run (JobRunRead | None):
        name (str):
        schedule (str):
    """

    every_seconds: float | None
    last_failure: JobRunRead | None
    last_run: JobRunRead | None
    name: str
    schedule: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.job_run_read import JobRunRead  # noqa: PLC0415

        every_seconds: float | None
        every_seconds = self.every_seconds

        last_failure: dict[str, Any] | None
        if isinstance(self.last_failure, JobRunRead):
            last_failure = self.last_failure.to_dict()
        else:
            last_failure = self.last_failure

        last_run: dict[str, Any] | None
        if isinstance(self.last_run, JobRunRead):
            last_run = self.last_run.to_dict()
        else:
            last_run = self.last_run

        name = self.name

        schedule = self.schedule

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "every_seconds": every_seconds,
                "last_failure": last_failure,
                "last_run": last_run,
                "name": name,
                "schedule": schedule,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_run_read import JobRunRead  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_every_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        every_seconds = _parse_every_seconds(d.pop("every_seconds"))

        def _parse_last_failure(data: object) -> JobRunRead | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                last_failure_type_0 = JobRunRead.from_dict(data)

                return last_failure_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobRunRead | None, data)

        last_failure = _parse_last_failure(d.pop("last_failure"))

        def _parse_last_run(data: object) -> JobRunRead | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                last_run_type_0 = JobRunRead.from_dict(data)

                return last_run_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobRunRead | None, data)

        last_run = _parse_last_run(d.pop("last_run"))

        name = d.pop("name")

        schedule = d.pop("schedule")

        job_read = cls(
            every_seconds=every_seconds,
            last_failure=last_failure,
            last_run=last_run,
            name=name,
            schedule=schedule,
        )

        job_read.additional_properties = d
        return job_read

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
