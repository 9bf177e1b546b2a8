from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.plan_interval import PlanInterval
from ..types import UNSET, Unset

T = TypeVar("T", bound="Plan")


@_attrs_define
class Plan:
    """What a subscription charges, and how often. Price fields never change:
    a new price is a new plan.

        Attributes:
            id (str):  Example: plan_5e6f7a8b9c0d1e2f3a4b5c6d.
            object_ (str): Always `plan`. Example: plan.
            name (str):  Example: Pro monthly.
            amount (int): Gross, in minor units. Example: 1900.
            currency (str):  Example: EUR.
            interval (PlanInterval):
            interval_count (int):  Example: 1.
            trial_days (int):  Example: 14.
            active (bool): Inactive plans take no new subscriptions; existing ones go on.
            livemode (bool):
            created_at (datetime.datetime | None | Unset):
            updated_at (datetime.datetime | None | Unset):
    """

    id: str
    object_: str
    name: str
    amount: int
    currency: str
    interval: PlanInterval
    interval_count: int
    trial_days: int
    active: bool
    livemode: bool
    created_at: datetime.datetime | None | Unset = UNSET
    updated_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        name = self.name

        amount = self.amount

        currency = self.currency

        interval = self.interval.value

        interval_count = self.interval_count

        trial_days = self.trial_days

        active = self.active

        livemode = self.livemode

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        elif isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        updated_at: None | str | Unset
        if isinstance(self.updated_at, Unset):
            updated_at = UNSET
        elif isinstance(self.updated_at, datetime.datetime):
            updated_at = self.updated_at.isoformat()
        else:
            updated_at = self.updated_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "name": name,
                "amount": amount,
                "currency": currency,
                "interval": interval,
                "intervalCount": interval_count,
                "trialDays": trial_days,
                "active": active,
                "livemode": livemode,
            }
        )
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if updated_at is not UNSET:
            field_dict["updatedAt"] = updated_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        name = d.pop("name")

        amount = d.pop("amount")

        currency = d.pop("currency")

        interval = PlanInterval(d.pop("interval"))

        interval_count = d.pop("intervalCount")

        trial_days = d.pop("trialDays")

        active = d.pop("active")

        livemode = d.pop("livemode")

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

        def _parse_updated_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                updated_at_type_0 = datetime.datetime.fromisoformat(data)

                return updated_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        updated_at = _parse_updated_at(d.pop("updatedAt", UNSET))

        plan = cls(
            id=id,
            object_=object_,
            name=name,
            amount=amount,
            currency=currency,
            interval=interval,
            interval_count=interval_count,
            trial_days=trial_days,
            active=active,
            livemode=livemode,
            created_at=created_at,
            updated_at=updated_at,
        )

        plan.additional_properties = d
        return plan

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
