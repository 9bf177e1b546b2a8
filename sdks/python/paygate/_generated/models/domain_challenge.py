from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="DomainChallenge")


@_attrs_define
class DomainChallenge:
    """The DNS record that proves control of a custom checkout domain.

    Attributes:
        type_ (str): Always `TXT`. Example: TXT.
        name (str):  Example: _paygate-challenge.pay.shop.example.
        value (str):  Example: pgv_3f9a0c1d2e4b5a6978c0d1e2f3a4b5c6.
    """

    type_: str
    name: str
    value: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        name = self.name

        value = self.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "name": name,
                "value": value,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = d.pop("type")

        name = d.pop("name")

        value = d.pop("value")

        domain_challenge = cls(
            type_=type_,
            name=name,
            value=value,
        )

        domain_challenge.additional_properties = d
        return domain_challenge

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
