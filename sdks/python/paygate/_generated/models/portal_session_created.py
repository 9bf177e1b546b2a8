from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PortalSessionCreated")


@_attrs_define
class PortalSessionCreated:
    """A portal session just opened: send the customer to `url`. The token is
    shown in this answer only (and in its idempotent replays).

        Attributes:
            id (str):  Example: ps_2b3c4d5e6f7a8b9c0d1e2f3a.
            object_ (str): Always `portal_session`. Example: portal_session.
            token (str): The portal access token: `Authorization: Bearer pt_…` on the portal
                API. Random, stored only as its SHA-256, valid for one hour, for
                this one customer. Example: pt_5Jq2mZ8xW1vK9rT4nL7pB3cY6dF0hG2sA8eU1iO4wQ7zX5.
            url (str): The portal page with the token: `https://<checkout host>/portal?token=pt_…`.
            customer_id (str):
            livemode (bool):
            return_url (None | str | Unset):
            expires_at (datetime.datetime | None | Unset):
            created_at (datetime.datetime | None | Unset):
    """

    id: str
    object_: str
    token: str
    url: str
    customer_id: str
    livemode: bool
    return_url: None | str | Unset = UNSET
    expires_at: datetime.datetime | None | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        token = self.token

        url = self.url

        customer_id = self.customer_id

        livemode = self.livemode

        return_url: None | str | Unset
        if isinstance(self.return_url, Unset):
            return_url = UNSET
        else:
            return_url = self.return_url

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        elif isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "token": token,
                "url": url,
                "customerId": customer_id,
                "livemode": livemode,
            }
        )
        if return_url is not UNSET:
            field_dict["returnUrl"] = return_url
        if expires_at is not UNSET:
            field_dict["expiresAt"] = expires_at
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        token = d.pop("token")

        url = d.pop("url")

        customer_id = d.pop("customerId")

        livemode = d.pop("livemode")

        def _parse_return_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        return_url = _parse_return_url(d.pop("returnUrl", UNSET))

        def _parse_expires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expires_at = _parse_expires_at(d.pop("expiresAt", UNSET))

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

        portal_session_created = cls(
            id=id,
            object_=object_,
            token=token,
            url=url,
            customer_id=customer_id,
            livemode=livemode,
            return_url=return_url,
            expires_at=expires_at,
            created_at=created_at,
        )

        portal_session_created.additional_properties = d
        return portal_session_created

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
