from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.domain_challenge import DomainChallenge


T = TypeVar("T", bound="CheckoutDomain")


@_attrs_define
class CheckoutDomain:
    """A custom checkout domain. It is `pending` until the TXT record in
    `verification` is published and `POST …/verify` finds it; only a
    `verified` domain gets a certificate and appears in `paymentUrl`.

        Attributes:
            domain (str):  Example: pay.shop.example.
            object_ (str): Always `checkout_domain`. Example: checkout_domain.
            livemode (bool): Its site's mode.
            site_id (str):  Example: site_0c1d2e3f4a5b6c7d8e9f0a1b.
            status (str): `pending` or `verified`. Example: pending.
            verification (DomainChallenge): The DNS record that proves control of a custom checkout domain.
            created_at (datetime.datetime | None | Unset):
            verified_at (datetime.datetime | None | Unset): When ownership was proven; `null` while pending.
    """

    domain: str
    object_: str
    livemode: bool
    site_id: str
    status: str
    verification: DomainChallenge
    created_at: datetime.datetime | None | Unset = UNSET
    verified_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        domain = self.domain

        object_ = self.object_

        livemode = self.livemode

        site_id = self.site_id

        status = self.status

        verification = self.verification.to_dict()

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        elif isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        verified_at: None | str | Unset
        if isinstance(self.verified_at, Unset):
            verified_at = UNSET
        elif isinstance(self.verified_at, datetime.datetime):
            verified_at = self.verified_at.isoformat()
        else:
            verified_at = self.verified_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "domain": domain,
                "object": object_,
                "livemode": livemode,
                "siteId": site_id,
                "status": status,
                "verification": verification,
            }
        )
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if verified_at is not UNSET:
            field_dict["verifiedAt"] = verified_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.domain_challenge import DomainChallenge

        d = dict(src_dict)
        domain = d.pop("domain")

        object_ = d.pop("object")

        livemode = d.pop("livemode")

        site_id = d.pop("siteId")

        status = d.pop("status")

        verification = DomainChallenge.from_dict(d.pop("verification"))

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

        def _parse_verified_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                verified_at_type_0 = datetime.datetime.fromisoformat(data)

                return verified_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        verified_at = _parse_verified_at(d.pop("verifiedAt", UNSET))

        checkout_domain = cls(
            domain=domain,
            object_=object_,
            livemode=livemode,
            site_id=site_id,
            status=status,
            verification=verification,
            created_at=created_at,
            verified_at=verified_at,
        )

        checkout_domain.additional_properties = d
        return checkout_domain

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
