from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateSiteRequest")


@_attrs_define
class CreateSiteRequest:
    """`POST /api/v1/sites`.

    Example:
        {'name': 'Shop', 'checkoutDomain': 'pay.shop.example'}

    Attributes:
        name (None | str | Unset):
        checkout_domain (None | str | Unset): A custom checkout domain (optional). It is attached `pending`, like
            `POST /api/v1/sites/{id}/domains`, and serves only once verified.
        allowed_origins (list[str] | None | Unset): Browser origins (`https://shop.example`) allowed to call the
            checkout
            runtime API cross-origin; at most 20, no wildcards.
        provider_id (None | str | Unset): The provider account to charge through (`prov_…`, same mode as the
            key); absent: the built-in sandbox, test mode only.
    """

    name: None | str | Unset = UNSET
    checkout_domain: None | str | Unset = UNSET
    allowed_origins: list[str] | None | Unset = UNSET
    provider_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        checkout_domain: None | str | Unset
        if isinstance(self.checkout_domain, Unset):
            checkout_domain = UNSET
        else:
            checkout_domain = self.checkout_domain

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

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if checkout_domain is not UNSET:
            field_dict["checkoutDomain"] = checkout_domain
        if allowed_origins is not UNSET:
            field_dict["allowedOrigins"] = allowed_origins
        if provider_id is not UNSET:
            field_dict["providerId"] = provider_id

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

        def _parse_checkout_domain(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        checkout_domain = _parse_checkout_domain(d.pop("checkoutDomain", UNSET))

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

        create_site_request = cls(
            name=name,
            checkout_domain=checkout_domain,
            allowed_origins=allowed_origins,
            provider_id=provider_id,
        )

        return create_site_request
