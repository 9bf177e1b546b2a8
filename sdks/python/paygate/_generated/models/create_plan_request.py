from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.create_plan_request_interval import CreatePlanRequestInterval
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreatePlanRequest")


@_attrs_define
class CreatePlanRequest:
    """`POST /api/v1/plans`.

    Example:
        {'name': 'Pro monthly', 'amount': 1900, 'currency': 'EUR', 'interval': 'month', 'intervalCount': 1, 'trialDays':
            14}

    Attributes:
        name (None | str | Unset):
        amount (int | None | Unset): Gross, in minor units; 1 or more.
        currency (None | str | Unset): ISO 4217.
        interval (CreatePlanRequestInterval | Unset):
        interval_count (int | None | Unset): 1–365 intervals per period; default 1.
        trial_days (int | None | Unset): 0–730; default 0.
    """

    name: None | str | Unset = UNSET
    amount: int | None | Unset = UNSET
    currency: None | str | Unset = UNSET
    interval: CreatePlanRequestInterval | Unset = UNSET
    interval_count: int | None | Unset = UNSET
    trial_days: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        amount: int | None | Unset
        if isinstance(self.amount, Unset):
            amount = UNSET
        else:
            amount = self.amount

        currency: None | str | Unset
        if isinstance(self.currency, Unset):
            currency = UNSET
        else:
            currency = self.currency

        interval: str | Unset = UNSET
        if not isinstance(self.interval, Unset):
            interval = self.interval.value

        interval_count: int | None | Unset
        if isinstance(self.interval_count, Unset):
            interval_count = UNSET
        else:
            interval_count = self.interval_count

        trial_days: int | None | Unset
        if isinstance(self.trial_days, Unset):
            trial_days = UNSET
        else:
            trial_days = self.trial_days

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if amount is not UNSET:
            field_dict["amount"] = amount
        if currency is not UNSET:
            field_dict["currency"] = currency
        if interval is not UNSET:
            field_dict["interval"] = interval
        if interval_count is not UNSET:
            field_dict["intervalCount"] = interval_count
        if trial_days is not UNSET:
            field_dict["trialDays"] = trial_days

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_amount(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        amount = _parse_amount(d.pop("amount", UNSET))

        def _parse_currency(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        currency = _parse_currency(d.pop("currency", UNSET))

        _interval = d.pop("interval", UNSET)
        interval: CreatePlanRequestInterval | Unset
        if isinstance(_interval, Unset):
            interval = UNSET
        else:
            interval = CreatePlanRequestInterval(_interval)

        def _parse_interval_count(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        interval_count = _parse_interval_count(d.pop("intervalCount", UNSET))

        def _parse_trial_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        trial_days = _parse_trial_days(d.pop("trialDays", UNSET))

        create_plan_request = cls(
            name=name,
            amount=amount,
            currency=currency,
            interval=interval,
            interval_count=interval_count,
            trial_days=trial_days,
        )

        return create_plan_request
