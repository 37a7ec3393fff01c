from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.validation_issue import ValidationIssue


T = TypeVar("T", bound="Error")


@_attrs_define
class Error:
    """Every error answer of both networks: a stable dotted `code` to branch on and a
    `detail` for humans; some errors add keys that say more (listed, and possibly others).

        Example:
            {'code': 'not_found.request', 'detail': 'no such request'}

        Attributes:
            code (str): Stable and dotted: `not_found.request`, `rate_limited.login`
            detail (str): What went wrong, for humans; may change between releases
            errors (list[ValidationIssue] | Unset): 422 `invalid.request`: every failing field
            field (str | Unset): The input field at fault, where one is
            request_type (str | Unset): 429 `rate_limited`: the request type whose limit refused
            status (str | Unset): 409s about a request: the status it has
            window (str | Unset): 429 `rate_limited`: the window that refused
    """

    code: str
    detail: str
    errors: list[ValidationIssue] | Unset = UNSET
    field: str | Unset = UNSET
    request_type: str | Unset = UNSET
    status: str | Unset = UNSET
    window: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        detail = self.detail

        errors: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.errors, Unset):
            errors = []
            for errors_item_data in self.errors:
                errors_item = errors_item_data.to_dict()
                errors.append(errors_item)

        field = self.field

        request_type = self.request_type

        status = self.status

        window = self.window

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "detail": detail,
            }
        )
        if errors is not UNSET:
            field_dict["errors"] = errors
        if field is not UNSET:
            field_dict["field"] = field
        if request_type is not UNSET:
            field_dict["request_type"] = request_type
        if status is not UNSET:
            field_dict["status"] = status
        if window is not UNSET:
            field_dict["window"] = window

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.validation_issue import ValidationIssue  # noqa: PLC0415

        d = dict(src_dict)
        code = d.pop("code")

        detail = d.pop("detail")

        _errors = d.pop("errors", UNSET)
        errors: list[ValidationIssue] | Unset = UNSET
        if _errors is not UNSET:
            errors = []
            for errors_item_data in _errors:
                errors_item = ValidationIssue.from_dict(errors_item_data)

                errors.append(errors_item)

        field = d.pop("field", UNSET)

        request_type = d.pop("request_type", UNSET)

        status = d.pop("status", UNSET)

        window = d.pop("window", UNSET)

        error = cls(
            code=code,
            detail=detail,
            errors=errors,
            field=field,
            request_type=request_type,
            status=status,
            window=window,
        )

        error.additional_properties = d
        return error

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
