from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.currency_summary import CurrencySummary
    from ..models.failed_transaction import FailedTransaction


T = TypeVar("T", bound="Summary")


@_attrs_define
class Summary:
    """Figures of the transactions created in `[from, to]`.

    Attributes:
        currencies (list[CurrencySummary]): One entry per currency that had transactions, by currency code.
        recent_failures (list[FailedTransaction]): The window's last 10 failed transactions, newest first.
        transactions_counted (int): Transactions read for the figures.
        truncated (bool): The window held more transactions than one summary reads (50,000):
            the figures cover its newest 50,000 only.
        from_ (datetime.datetime | None | Unset):
        to (datetime.datetime | None | Unset):
    """

    currencies: list[CurrencySummary]
    recent_failures: list[FailedTransaction]
    transactions_counted: int
    truncated: bool
    from_: datetime.datetime | None | Unset = UNSET
    to: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        currencies = []
        for currencies_item_data in self.currencies:
            currencies_item = currencies_item_data.to_dict()
            currencies.append(currencies_item)

        recent_failures = []
        for recent_failures_item_data in self.recent_failures:
            recent_failures_item = recent_failures_item_data.to_dict()
            recent_failures.append(recent_failures_item)

        transactions_counted = self.transactions_counted

        truncated = self.truncated

        from_: None | str | Unset
        if isinstance(self.from_, Unset):
            from_ = UNSET
        elif isinstance(self.from_, datetime.datetime):
            from_ = self.from_.isoformat()
        else:
            from_ = self.from_

        to: None | str | Unset
        if isinstance(self.to, Unset):
            to = UNSET
        elif isinstance(self.to, datetime.datetime):
            to = self.to.isoformat()
        else:
            to = self.to

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "currencies": currencies,
                "recentFailures": recent_failures,
                "transactionsCounted": transactions_counted,
                "truncated": truncated,
            }
        )
        if from_ is not UNSET:
            field_dict["from"] = from_
        if to is not UNSET:
            field_dict["to"] = to

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.currency_summary import CurrencySummary
        from ..models.failed_transaction import FailedTransaction

        d = dict(src_dict)
        currencies = []
        _currencies = d.pop("currencies")
        for currencies_item_data in _currencies:
            currencies_item = CurrencySummary.from_dict(currencies_item_data)

            currencies.append(currencies_item)

        recent_failures = []
        _recent_failures = d.pop("recentFailures")
        for recent_failures_item_data in _recent_failures:
            recent_failures_item = FailedTransaction.from_dict(
                recent_failures_item_data
            )

            recent_failures.append(recent_failures_item)

        transactions_counted = d.pop("transactionsCounted")

        truncated = d.pop("truncated")

        def _parse_from_(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                from_type_0 = datetime.datetime.fromisoformat(data)

                return from_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        from_ = _parse_from_(d.pop("from", UNSET))

        def _parse_to(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                to_type_0 = datetime.datetime.fromisoformat(data)

                return to_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        to = _parse_to(d.pop("to", UNSET))

        summary = cls(
            currencies=currencies,
            recent_failures=recent_failures,
            transactions_counted=transactions_counted,
            truncated=truncated,
            from_=from_,
            to=to,
        )

        summary.additional_properties = d
        return summary

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
