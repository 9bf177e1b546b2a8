from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.update_user_request_role import UpdateUserRequestRole

T = TypeVar("T", bound="UpdateUserRequest")


@_attrs_define
class UpdateUserRequest:
    """`PATCH /api/v1/users/{id}`.

    Example:
        {'role': 'admin'}

    Attributes:
        role (UpdateUserRequestRole):
    """

    role: UpdateUserRequestRole

    def to_dict(self) -> dict[str, Any]:
        role = self.role.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "role": role,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        role = UpdateUserRequestRole(d.pop("role"))

        update_user_request = cls(
            role=role,
        )

        return update_user_request
