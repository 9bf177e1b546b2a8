from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.refund_status import RefundStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="Refund")


@_attrs_define
class Refund:
    """
    Attributes:
        id (str):  Example: re_5d2c1b0a9f8e7d6c5b4a3f2e.
        object_ (str): Always `refund`. Example: refund.
        livemode (bool): `true` for a live object, `false` for a test one: the mode of the
            API key that created it (or of its parent).
        transaction_id (str):
        amount (int):
        currency (str):
        status (RefundStatus):
        reason (str):
        origin (str): `gateway`: asked for through Paygate; `provider`: made in the
            provider's dashboard and learned from its webhook. Example: gateway.
        failure_code (None | str | Unset):
        created_at (datetime.datetime | None | Unset):
    """

    id: str
    object_: str
    livemode: bool
    transaction_id: str
    amount: int
    currency: str
    status: RefundStatus
    reason: str
    origin: str
    failure_code: None | str | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        livemode = self.livemode

        transaction_id = self.transaction_id

        amount = self.amount

        currency = self.currency

        status = self.status.value

        reason = self.reason

        origin = self.origin

        failure_code: None | str | Unset
        if isinstance(self.failure_code, Unset):
            failure_code = UNSET
        else:
            failure_code = self.failure_code

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        elif isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "livemode": livemode,
                "transactionId": transaction_id,
                "amount": amount,
                "currency": currency,
                "status": status,
                "reason": reason,
                "origin": origin,
            }
        )
        if failure_code is not UNSET:
            field_dict["failureCode"] = failure_code
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        livemode = d.pop("livemode")

        transaction_id = d.pop("transactionId")

        amount = d.pop("amount")

        currency = d.pop("currency")

        status = RefundStatus(d.pop("status"))

        reason = d.pop("reason")

        origin = d.pop("origin")

        def _parse_failure_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        failure_code = _parse_failure_code(d.pop("failureCode", UNSET))

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

        refund = cls(
            id=id,
            object_=object_,
            livemode=livemode,
            transaction_id=transaction_id,
            amount=amount,
            currency=currency,
            status=status,
            reason=reason,
            origin=origin,
            failure_code=failure_code,
            created_at=created_at,
        )

        refund.additional_properties = d
        return refund

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
