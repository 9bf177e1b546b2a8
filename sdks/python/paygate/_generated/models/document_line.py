from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.amount_split import AmountSplit


T = TypeVar("T", bound="DocumentLine")


@_attrs_define
class DocumentLine:
    """
    Attributes:
        description (str):
        quantity (int):
        unit_amount (int):
        tax_rate_bps (int):
        amounts (AmountSplit): Gross = net + tax, in minor units.
    """

    description: str
    quantity: int
    unit_amount: int
    tax_rate_bps: int
    amounts: AmountSplit
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        description = self.description

        quantity = self.quantity

        unit_amount = self.unit_amount

        tax_rate_bps = self.tax_rate_bps

        amounts = self.amounts.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "description": description,
                "quantity": quantity,
                "unitAmount": unit_amount,
                "taxRateBps": tax_rate_bps,
                "amounts": amounts,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.amount_split import AmountSplit

        d = dict(src_dict)
        description = d.pop("description")

        quantity = d.pop("quantity")

        unit_amount = d.pop("unitAmount")

        tax_rate_bps = d.pop("taxRateBps")

        amounts = AmountSplit.from_dict(d.pop("amounts"))

        document_line = cls(
            description=description,
            quantity=quantity,
            unit_amount=unit_amount,
            tax_rate_bps=tax_rate_bps,
            amounts=amounts,
        )

        document_line.additional_properties = d
        return document_line

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
