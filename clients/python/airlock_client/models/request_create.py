from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.request_create_parameters import RequestCreateParameters


T = TypeVar("T", bound="RequestCreate")


@_attrs_define
class RequestCreate:
    """
    Attributes:
        request_type (str):
        parameters (RequestCreateParameters | Unset):
        priority (int | Unset):  Default: 5.
    """

    request_type: str
    parameters: RequestCreateParameters | Unset = UNSET
    priority: int | Unset = 5

    def to_dict(self) -> dict[str, Any]:
        request_type = self.request_type

        parameters: dict[str, Any] | Unset = UNSET
        if not isinstance(self.parameters, Unset):
            parameters = self.parameters.to_dict()

        priority = self.priority

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "request_type": request_type,
            }
        )
        if parameters is not UNSET:
            field_dict["parameters"] = parameters
        if priority is not UNSET:
            field_dict["priority"] = priority

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.request_create_parameters import RequestCreateParameters  # noqa: PLC0415

        d = dict(src_dict)
        request_type = d.pop("request_type")

        _parameters = d.pop("parameters", UNSET)
        parameters: RequestCreateParameters | Unset
        if isinstance(_parameters, Unset):
            parameters = UNSET
        else:
            parameters = RequestCreateParameters.from_dict(_parameters)

        priority = d.pop("priority", UNSET)

        request_create = cls(
            request_type=request_type,
            parameters=parameters,
            priority=priority,
        )

        return request_create
