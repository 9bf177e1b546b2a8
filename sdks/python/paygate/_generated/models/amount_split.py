from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AmountSplit")


@_attrs_define
class AmountSplit:
    """Gross = net + tax, in minor units.

    Attributes:
        gross (int):
        net (int):
        tax (int):
    """

    gross: int
    net: int
    tax: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        gross = self.gross

        net = self.net

        tax = self.tax

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "gross": gross,
                "net": net,
                "tax": tax,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        gross = d.pop("gross")

        net = d.pop("net")

        tax = d.pop("tax")

        amount_split = cls(
            gross=gross,
            net=net,
            tax=tax,
        )

        amount_split.additional_properties = d
        return amount_split

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
