from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.amount_split import AmountSplit


T = TypeVar("T", bound="RateTotal")


@_attrs_define
class RateTotal:
    """
    Attributes:
        tax_rate_bps (int):
        amounts (AmountSplit): Gross = net + tax, in minor units.
    """

    tax_rate_bps: int
    amounts: AmountSplit
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        tax_rate_bps = self.tax_rate_bps

        amounts = self.amounts.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "taxRateBps": tax_rate_bps,
                "amounts": amounts,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.amount_split import AmountSplit

        d = dict(src_dict)
        tax_rate_bps = d.pop("taxRateBps")

        amounts = AmountSplit.from_dict(d.pop("amounts"))

        rate_total = cls(
            tax_rate_bps=tax_rate_bps,
            amounts=amounts,
        )

        rate_total.additional_properties = d
        return rate_total

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
