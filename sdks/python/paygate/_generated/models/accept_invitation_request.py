from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="AcceptInvitationRequest")


@_attrs_define
class AcceptInvitationRequest:
    """`POST /api/v1/auth/invitations/accept`.

    Example:
        {'token': 'inv_5Jq2mZ8xW1vK9rT4nL7pB3cY6dF0hG2sA8eU1iO4wQ7', 'password': 'correct horse battery'}

    Attributes:
        token (str): The `inv_…` token from the invitation link's fragment.
        password (str): At least 10 characters.
        name (None | str | Unset):
    """

    token: str
    password: str
    name: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        token = self.token

        password = self.password

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "token": token,
                "password": password,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        token = d.pop("token")

        password = d.pop("password")

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        accept_invitation_request = cls(
            token=token,
            password=password,
            name=name,
        )

        return accept_invitation_request
