from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Address")


@_attrs_define
class Address:
    """
    Attributes:
        country (str): ISO 3166-1 alpha-2. Example: DE.
        line1 (str):
        line2 (str):
        city (str):
        postal_code (str):
        region (str):
    """

    country: str
    line1: str
    line2: str
    city: str
    postal_code: str
    region: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        country = self.country

        line1 = self.line1

        line2 = self.line2

        city = self.city

        postal_code = self.postal_code

        region = self.region

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "country": country,
                "line1": line1,
                "line2": line2,
                "city": city,
                "postalCode": postal_code,
                "region": region,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        country = d.pop("country")

        line1 = d.pop("line1")

        line2 = d.pop("line2")

        city = d.pop("city")

        postal_code = d.pop("postalCode")

        region = d.pop("region")

        address = cls(
            country=country,
            line1=line1,
            line2=line2,
            city=city,
            postal_code=postal_code,
            region=region,
        )

        address.additional_properties = d
        return address

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
