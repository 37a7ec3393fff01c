from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.request_type_read_parameter_schema import RequestTypeReadParameterSchema


T = TypeVar("T", bound="RequestTypeRead")


@_attrs_define
class RequestTypeRead:
    """
    Attributes:
        description (str):
        expected_answer_seconds (int):
        name (str):
        parameter_schema (RequestTypeReadParameterSchema):
        title (str):
        version (int):
    """

    description: str
    expected_answer_seconds: int
    name: str
    parameter_schema: RequestTypeReadParameterSchema
    title: str
    version: int

    def to_dict(self) -> dict[str, Any]:
        description = self.description

        expected_answer_seconds = self.expected_answer_seconds

        name = self.name

        parameter_schema = self.parameter_schema.to_dict()

        title = self.title

        version = self.version

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "description": description,
                "expected_answer_seconds": expected_answer_seconds,
                "name": name,
                "parameter_schema": parameter_schema,
                "title": title,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.request_type_read_parameter_schema import RequestTypeReadParameterSchema  # noqa: PLC0415

        d = dict(src_dict)
        description = d.pop("description")

        expected_answer_seconds = d.pop("expected_answer_seconds")

        name = d.pop("name")

        parameter_schema = RequestTypeReadParameterSchema.from_dict(d.pop("parameter_schema"))

        title = d.pop("title")

        version = d.pop("version")

        request_type_read = cls(
            description=description,
            expected_answer_seconds=expected_answer_seconds,
            name=name,
            parameter_schema=parameter_schema,
            title=title,
            version=version,
        )

        return request_type_read
