from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.checkout_domain import CheckoutDomain


T = TypeVar("T", bound="SiteWithSecret")


@_attrs_define
class SiteWithSecret:
    """A site plus its webhook signing secret: only on creation and rotation.
    A replayed creation has no secret to show (`null`).

        Attributes:
            id (str):  Example: site_0c1d2e3f4a5b6c7d8e9f0a1b.
            object_ (str): Always `site`. Example: site.
            livemode (bool): `true` for a live object, `false` for a test one: the mode of the
                API key that created it (or of its parent).
            organization_id (str):
            name (str):
            domains (list[CheckoutDomain]): Every custom checkout domain of the site, pending or verified,
                oldest first.
            allowed_origins (list[str]): Browser origins allowed to call the checkout runtime API for this
                site's checkouts (CORS); empty: only the gateway's own pages. Example: ['https://shop.example'].
            checkout_domain (None | str | Unset): The verified custom domain `paymentUrl` uses (the first one
                verified); `null` while the site has none. Example: pay.shop.example.
            provider_id (None | str | Unset): The provider account charges go through; `null`: the built-in
                sandbox. Example: prov_3c4d5e6f7a8b9c0d1e2f3a4b.
            ipn_url (None | str | Unset): The default IPN URL of the site's checkouts that name none. Example:
                https://shop.example/ipn.
            created_at (datetime.datetime | None | Unset):
            webhook_secret (None | str | Unset):  Example: whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD.
    """

    id: str
    object_: str
    livemode: bool
    organization_id: str
    name: str
    domains: list[CheckoutDomain]
    allowed_origins: list[str]
    checkout_domain: None | str | Unset = UNSET
    provider_id: None | str | Unset = UNSET
    ipn_url: None | str | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    webhook_secret: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        livemode = self.livemode

        organization_id = self.organization_id

        name = self.name

        domains = []
        for domains_item_data in self.domains:
            domains_item = domains_item_data.to_dict()
            domains.append(domains_item)

        allowed_origins = self.allowed_origins

        checkout_domain: None | str | Unset
        if isinstance(self.checkout_domain, Unset):
            checkout_domain = UNSET
        else:
            checkout_domain = self.checkout_domain

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

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        elif isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        webhook_secret: None | str | Unset
        if isinstance(self.webhook_secret, Unset):
            webhook_secret = UNSET
        else:
            webhook_secret = self.webhook_secret

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "livemode": livemode,
                "organizationId": organization_id,
                "name": name,
                "domains": domains,
                "allowedOrigins": allowed_origins,
            }
        )
        if checkout_domain is not UNSET:
            field_dict["checkoutDomain"] = checkout_domain
        if provider_id is not UNSET:
            field_dict["providerId"] = provider_id
        if ipn_url is not UNSET:
            field_dict["ipnUrl"] = ipn_url
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if webhook_secret is not UNSET:
            field_dict["webhookSecret"] = webhook_secret

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.checkout_domain import CheckoutDomain

        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        livemode = d.pop("livemode")

        organization_id = d.pop("organizationId")

        name = d.pop("name")

        domains = []
        _domains = d.pop("domains")
        for domains_item_data in _domains:
            domains_item = CheckoutDomain.from_dict(domains_item_data)

            domains.append(domains_item)

        allowed_origins = cast(list[str], d.pop("allowedOrigins"))

        def _parse_checkout_domain(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        checkout_domain = _parse_checkout_domain(d.pop("checkoutDomain", UNSET))

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

        def _parse_webhook_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        webhook_secret = _parse_webhook_secret(d.pop("webhookSecret", UNSET))

        site_with_secret = cls(
            id=id,
            object_=object_,
            livemode=livemode,
            organization_id=organization_id,
            name=name,
            domains=domains,
            allowed_origins=allowed_origins,
            checkout_domain=checkout_domain,
            provider_id=provider_id,
            ipn_url=ipn_url,
            created_at=created_at,
            webhook_secret=webhook_secret,
        )

        site_with_secret.additional_properties = d
        return site_with_secret

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
