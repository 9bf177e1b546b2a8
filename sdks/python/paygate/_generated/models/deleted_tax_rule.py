from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="DeletedTaxRule")


@_attrs_define
class DeletedTaxRule:
    """The rule as it was, marked deleted.

    Attributes:
        id (str):  Example: txr_2b3c4d5e6f7a8b9c0d1e2f3a.
        object_ (str): Always `tax_rule`. Example: tax_rule.
        livemode (bool): `true` for a live object, `false` for a test one: the mode of the
            API key that created it (or of its parent).
        country (str):  Example: DE.
        rate_bps (int): Basis points: 1900 is 19 %. Example: 1900.
        name (str):
        valid_from (datetime.date): `YYYY-MM-DD`. Example: 2026-01-01.
        deleted (bool): Always `true`.
        site_id (None | str | Unset): `null`: the rule applies to every site of the organization.
        region (None | str | Unset):
        created_at (datetime.datetime | None | Unset):
    """

    id: str
    object_: str
    livemode: bool
    country: str
    rate_bps: int
    name: str
    valid_from: datetime.date
    deleted: bool
    site_id: None | str | Unset = UNSET
    region: None | str | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        livemode = self.livemode

        country = self.country

        rate_bps = self.rate_bps

        name = self.name

        valid_from = self.valid_from.isoformat()

        deleted = self.deleted

        site_id: None | str | Unset
        if isinstance(self.site_id, Unset):
            site_id = UNSET
        else:
            site_id = self.site_id

        region: None | str | Unset
        if isinstance(self.region, Unset):
            region = UNSET
        else:
            region = self.region

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
                "livemode": livemode,
                "country": country,
                "rateBps": rate_bps,
                "name": name,
                "validFrom": valid_from,
                "deleted": deleted,
            }
        )
        if site_id is not UNSET:
            field_dict["siteId"] = site_id
        if region is not UNSET:
            field_dict["region"] = region
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        livemode = d.pop("livemode")

        country = d.pop("country")

        rate_bps = d.pop("rateBps")

        name = d.pop("name")

        valid_from = datetime.date.fromisoformat(d.pop("validFrom"))

        deleted = d.pop("deleted")

        def _parse_site_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        site_id = _parse_site_id(d.pop("siteId", UNSET))

        def _parse_region(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        region = _parse_region(d.pop("region", UNSET))

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

        deleted_tax_rule = cls(
            id=id,
            object_=object_,
            livemode=livemode,
            country=country,
            rate_bps=rate_bps,
            name=name,
            valid_from=valid_from,
            deleted=deleted,
            site_id=site_id,
            region=region,
            created_at=created_at,
        )

        deleted_tax_rule.additional_properties = d
        return deleted_tax_rule

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
