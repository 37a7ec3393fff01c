from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.role import Role

if TYPE_CHECKING:
    from ..models.user_read_limit_overrides_type_0 import UserReadLimitOverridesType0


T = TypeVar("T", bound="UserRead")


@_attrs_define
class UserRead:
    """The synced fields an API may show; never the password hash.

    Attributes:
        active (bool):
        created_at (datetime.datetime):
        display_name (str):
        email (str):
        id (UUID):
        limit_overrides (None | UserReadLimitOverridesType0):
        password_changed_at (datetime.datetime | None):
        profile (str):
        role (Role):
        updated_at (datetime.datetime):
        username (str):
        version (int):
    """

    active: bool
    created_at: datetime.datetime
    display_name: str
    email: str
    id: UUID
    limit_overrides: None | UserReadLimitOverridesType0
    password_changed_at: datetime.datetime | None
    profile: str
    role: Role
    updated_at: datetime.datetime
    username: str
    version: int

    def to_dict(self) -> dict[str, Any]:
        from ..models.user_read_limit_overrides_type_0 import UserReadLimitOverridesType0  # noqa: PLC0415

        active = self.active

        created_at = self.created_at.isoformat()

        display_name = self.display_name

        email = self.email

        id = str(self.id)

        limit_overrides: dict[str, Any] | None
        if isinstance(self.limit_overrides, UserReadLimitOverridesType0):
            limit_overrides = self.limit_overrides.to_dict()
        else:
            limit_overrides = self.limit_overrides

        password_changed_at: None | str
        if isinstance(self.password_changed_at, datetime.datetime):
            password_changed_at = self.password_changed_at.isoformat()
        else:
            password_changed_at = self.password_changed_at

        profile = self.profile

        role = self.role.value

        updated_at = self.updated_at.isoformat()

        username = self.username

        version = self.version

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "active": active,
                "created_at": created_at,
                "display_name": display_name,
                "email": email,
                "id": id,
                "limit_overrides": limit_overrides,
                "password_changed_at": password_changed_at,
                "profile": profile,
                "role": role,
                "updated_at": updated_at,
                "username": username,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.user_read_limit_overrides_type_0 import UserReadLimitOverridesType0  # noqa: PLC0415

        d = dict(src_dict)
        active = d.pop("active")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        display_name = d.pop("display_name")

        email = d.pop("email")

        id = UUID(d.pop("id"))

        def _parse_limit_overrides(data: object) -> None | UserReadLimitOverridesType0:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                limit_overrides_type_0 = UserReadLimitOverridesType0.from_dict(data)

                return limit_overrides_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UserReadLimitOverridesType0, data)

        limit_overrides = _parse_limit_overrides(d.pop("limit_overrides"))

        def _parse_password_changed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                password_changed_at_type_0 = datetime.datetime.fromisoformat(data)

                return password_changed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        password_changed_at = _parse_password_changed_at(d.pop("password_changed_at"))

        profile = d.pop("profile")

        role = Role(d.pop("role"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        username = d.pop("username")

        version = d.pop("version")

        user_read = cls(
            active=active,
            created_at=created_at,
            display_name=display_name,
            email=email,
            id=id,
            limit_overrides=limit_overrides,
            password_changed_at=password_changed_at,
            profile=profile,
            role=role,
            updated_at=updated_at,
            username=username,
            version=version,
        )

        return user_read
