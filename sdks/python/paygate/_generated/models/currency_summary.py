from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CurrencySummary")


@_attrs_define
class CurrencySummary:
    """One currency's figures over the summary's window.

    Attributes:
        currency (str):  Example: EUR.
        gross_volume (int): What succeeded payments captured, minor units.
        succeeded_count (int):
        failed_count (int):
        success_rate_bps (int): Succeeded / (succeeded + failed) in basis points (10000 = 100%),
            rounded down; 0 when none finished.
        refunded_amount (int): What has been refunded of the window's transactions, minor units.
    """

    currency: str
    gross_volume: int
    succeeded_count: int
    failed_count: int
    success_rate_bps: int
    refunded_amount: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        currency = self.currency

        gross_volume = self.gross_volume

        succeeded_count = self.succeeded_count

        failed_count = self.failed_count

        success_rate_bps = self.success_rate_bps

        refunded_amount = self.refunded_amount

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "currency": currency,
                "grossVolume": gross_volume,
                "succeededCount": succeeded_count,
                "failedCount": failed_count,
                "successRateBps": success_rate_bps,
                "refundedAmount": refunded_amount,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        currency = d.pop("currency")

        gross_volume = d.pop("grossVolume")

        succeeded_count = d.pop("succeededCount")

        failed_count = d.pop("failedCount")

        success_rate_bps = d.pop("successRateBps")

        refunded_amount = d.pop("refundedAmount")

        currency_summary = cls(
            currency=currency,
            gross_volume=gross_volume,
            succeeded_count=succeeded_count,
            failed_count=failed_count,
            success_rate_bps=success_rate_bps,
            refunded_amount=refunded_amount,
        )

        currency_summary.additional_properties = d
        return currency_summary

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
