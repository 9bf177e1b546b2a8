from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.user_role import UserRole
from ..models.user_status import UserStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="InvitedUser")


@_attrs_define
class InvitedUser:
    """A user just invited: send them `inviteUrl` (shown once; valid 7 days).
    A replay of the request (same `Idempotency-Key`) answers the user with
    `inviteUrl: null`: the link is never stored.

        Attributes:
            id (str):  Example: usr_1a2b3c4d5e6f7a8b9c0d1e2f.
            object_ (str): Always `user`. Example: user.
            email (str):
            role (UserRole):
            status (UserStatus):
            totp_enabled (bool):
            name (None | str | Unset):
            created_at (datetime.datetime | None | Unset):
            last_login_at (datetime.datetime | None | Unset):
            invite_url (None | str | Unset):
    """

    id: str
    object_: str
    email: str
    role: UserRole
    status: UserStatus
    totp_enabled: bool
    name: None | str | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    last_login_at: datetime.datetime | None | Unset = UNSET
    invite_url: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        email = self.email

        role = self.role.value

        status = self.status.value

        totp_enabled = self.totp_enabled

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        elif isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        last_login_at: None | str | Unset
        if isinstance(self.last_login_at, Unset):
            last_login_at = UNSET
        elif isinstance(self.last_login_at, datetime.datetime):
            last_login_at = self.last_login_at.isoformat()
        else:
            last_login_at = self.last_login_at

        invite_url: None | str | Unset
        if isinstance(self.invite_url, Unset):
            invite_url = UNSET
        else:
            invite_url = self.invite_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "email": email,
                "role": role,
                "status": status,
                "totpEnabled": totp_enabled,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if last_login_at is not UNSET:
            field_dict["lastLoginAt"] = last_login_at
        if invite_url is not UNSET:
            field_dict["inviteUrl"] = invite_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        email = d.pop("email")

        role = UserRole(d.pop("role"))

        status = UserStatus(d.pop("status"))

        totp_enabled = d.pop("totpEnabled")

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_created_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                created_at_type_0 = datetime.datetime.fromisoformat(data)

                return created_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        created_at = _parse_created_at(d.pop("createdAt", UNSET))

        def _parse_last_login_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_login_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_login_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_login_at = _parse_last_login_at(d.pop("lastLoginAt", UNSET))

        def _parse_invite_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        invite_url = _parse_invite_url(d.pop("inviteUrl", UNSET))

        invited_user = cls(
            id=id,
            object_=object_,
            email=email,
            role=role,
            status=status,
            totp_enabled=totp_enabled,
            name=name,
            created_at=created_at,
            last_login_at=last_login_at,
            invite_url=invite_url,
        )

        invited_user.additional_properties = d
        return invited_user

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
