from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="UpdateSiteRequest")


@_attrs_define
class UpdateSiteRequest:
    """`PATCH /api/v1/sites/{id}`: absent fields stay as they are.

    Example:
        {'allowedOrigins': ['https://shop.example']}

    Attributes:
        name (None | str | Unset):
        allowed_origins (list[str] | None | Unset): Replaces the list; `[]` allows no other origin.
        provider_id (None | str | Unset): Switches the provider for payments started from now on; `""`
            returns to the built-in sandbox (test mode only).
        ipn_url (None | str | Unset): Where IPNs go for this site's checkouts (and, later, other objects)
            that name no `ipnUrl`; `""` removes it.
    """

    name: None | str | Unset = UNSET
    allowed_origins: list[str] | None | Unset = UNSET
    provider_id: None | str | Unset = UNSET
    ipn_url: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        allowed_origins: list[str] | None | Unset
        if isinstance(self.allowed_origins, Unset):
            allowed_origins = UNSET
        elif isinstance(self.allowed_origins, list):
            allowed_origins = self.allowed_origins

        else:
            allowed_origins = self.allowed_origins

        provider_id: None | str | Unset
        if isinstance(self.provider_id, Unset):
            provider_id = UNSET
        else:
            provider_id = self.provider_id

        ipn_url: None | str | Unset
        if isinstance(self.ipn_url, Unset):
            ipn_url = UNSET
        else:
            ipn_url = self.ipn_url

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if allowed_origins is not UNSET:
            field_dict["allowedOrigins"] = allowed_origins
        if provider_id is not UNSET:
            field_dict["providerId"] = provider_id
        if ipn_url is not UNSET:
            field_dict["ipnUrl"] = ipn_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_allowed_origins(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                allowed_origins_type_0 = cast(list[str], data)

                return allowed_origins_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        allowed_origins = _parse_allowed_origins(d.pop("allowedOrigins", UNSET))

        def _parse_provider_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        provider_id = _parse_provider_id(d.pop("providerId", UNSET))

        def _parse_ipn_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ipn_url = _parse_ipn_url(d.pop("ipnUrl", UNSET))

        update_site_request = cls(
            name=name,
            allowed_origins=allowed_origins,
            provider_id=provider_id,
            ipn_url=ipn_url,
        )

        return update_site_request
