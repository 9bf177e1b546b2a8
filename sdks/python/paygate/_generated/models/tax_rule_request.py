from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="TaxRuleRequest")


@_attrs_define
class TaxRuleRequest:
    """`POST /api/v1/tax-rules` and `PUT /api/v1/tax-rules/{id}`.

    Example:
        {'country': 'DE', 'rateBps': 1900, 'name': 'DE standard', 'validFrom': '2026-01-01'}

    Attributes:
        site_id (None | str | Unset): Only this site; absent: every site of the organization.
        country (None | str | Unset):  Example: DE.
        region (None | str | Unset):
        rate_bps (int | None | Unset): 0–10000 basis points (1900 is 19 %). Required. Example: 1900.
        name (None | str | Unset):
        valid_from (None | str | Unset): `YYYY-MM-DD`; default today. Example: 2026-01-01.
    """

    site_id: None | str | Unset = UNSET
    country: None | str | Unset = UNSET
    region: None | str | Unset = UNSET
    rate_bps: int | None | Unset = UNSET
    name: None | str | Unset = UNSET
    valid_from: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        site_id: None | str | Unset
        if isinstance(self.site_id, Unset):
            site_id = UNSET
        else:
            site_id = self.site_id

        country: None | str | Unset
        if isinstance(self.country, Unset):
            country = UNSET
        else:
            country = self.country

        region: None | str | Unset
        if isinstance(self.region, Unset):
            region = UNSET
        else:
            region = self.region

        rate_bps: int | None | Unset
        if isinstance(self.rate_bps, Unset):
            rate_bps = UNSET
        else:
            rate_bps = self.rate_bps

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        valid_from: None | str | Unset
        if isinstance(self.valid_from, Unset):
            valid_from = UNSET
        else:
            valid_from = self.valid_from

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if site_id is not UNSET:
            field_dict["siteId"] = site_id
        if country is not UNSET:
            field_dict["country"] = country
        if region is not UNSET:
            field_dict["region"] = region
        if rate_bps is not UNSET:
            field_dict["rateBps"] = rate_bps
        if name is not UNSET:
            field_dict["name"] = name
        if valid_from is not UNSET:
            field_dict["validFrom"] = valid_from

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_site_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        site_id = _parse_site_id(d.pop("siteId", UNSET))

        def _parse_country(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        country = _parse_country(d.pop("country", UNSET))

        def _parse_region(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        region = _parse_region(d.pop("region", UNSET))

        def _parse_rate_bps(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rate_bps = _parse_rate_bps(d.pop("rateBps", UNSET))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_valid_from(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        valid_from = _parse_valid_from(d.pop("validFrom", UNSET))

        tax_rule_request = cls(
            site_id=site_id,
            country=country,
            region=region,
            rate_bps=rate_bps,
            name=name,
            valid_from=valid_from,
        )

        return tax_rule_request
