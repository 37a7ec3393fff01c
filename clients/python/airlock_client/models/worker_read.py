from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.active_task_read import ActiveTaskRead


T = TypeVar("T", bound="WorkerRead")


@_attrs_define
class WorkerRead:
    """
    Attributes:
        active (list[ActiveTaskRead]):
        concurrency (int | None):
        name (str):
        processed (int):
    """

    active: list[ActiveTaskRead]
    concurrency: int | None
    name: str
    processed: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        active = []
        for active_item_data in self.active:
            active_item = active_item_data.to_dict()
            active.append(active_item)

        concurrency: int | None
        concurrency = self.concurrency

        name = self.name

        processed = self.processed

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "active": active,
                "concurrency": concurrency,
                "name": name,
                "processed": processed,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.active_task_read import ActiveTaskRead  # noqa: PLC0415

        d = dict(src_dict)
        active = []
        _active = d.pop("active")
        for active_item_data in _active:
            active_item = ActiveTaskRead.from_dict(active_item_data)

            active.append(active_item)

        def _parse_concurrency(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        concurrency = _parse_concurrency(d.pop("concurrency"))

        name = d.pop("name")

        processed = d.pop("processed")

        worker_read = cls(
            active=active,
            concurrency=concurrency,
            name=name,
            processed=processed,
        )

        worker_read.additional_properties = d
        return worker_read

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
