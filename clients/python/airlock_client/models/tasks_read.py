from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.job_read import JobRead
    from ..models.worker_read import WorkerRead


T = TypeVar("T", bound="TasksRead")


@_attrs_define
class TasksRead:
    """
    Attributes:
        jobs (list[JobRead]):
        note (None | str):
        queue (None | str):
        queue_length (int | None):
        runner (str):
        workers (list[WorkerRead]):
    """

    jobs: list[JobRead]
    note: None | str
    queue: None | str
    queue_length: int | None
    runner: str
    workers: list[WorkerRead]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        jobs = []
        for jobs_item_data in self.jobs:
            jobs_item = jobs_item_data.to_dict()
            jobs.append(jobs_item)

        note: None | str
        note = self.note

        queue: None | str
        queue = self.queue

        queue_length: int | None
        queue_length = self.queue_length

        runner = self.runner

        workers = []
        for workers_item_data in self.workers:
            workers_item = workers_item_data.to_dict()
            workers.append(workers_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "jobs": jobs,
                "note": note,
                "queue": queue,
                "queue_length": queue_length,
                "runner": runner,
                "workers": workers,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_read import JobRead  # noqa: PLC0415
        from ..models.worker_read import WorkerRead  # noqa: PLC0415

        d = dict(src_dict)
        jobs = []
        _jobs = d.pop("jobs")
        for jobs_item_data in _jobs:
            jobs_item = JobRead.from_dict(jobs_item_data)

            jobs.append(jobs_item)

        def _parse_note(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        note = _parse_note(d.pop("note"))

        def _parse_queue(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        queue = _parse_queue(d.pop("queue"))

        def _parse_queue_length(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        queue_length = _parse_queue_length(d.pop("queue_length"))

        runner = d.pop("runner")

        workers = []
        _workers = d.pop("workers")
        for workers_item_data in _workers:
            workers_item = WorkerRead.from_dict(workers_item_data)

            workers.append(workers_item)

        tasks_read = cls(
            jobs=jobs,
            note=note,
            queue=queue,
            queue_length=queue_length,
            runner=runner,
            workers=workers,
        )

        tasks_read.additional_properties = d
        return tasks_read

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
