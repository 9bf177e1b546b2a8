from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="UpdateSubscriptionRequest")


@_attrs_define
class UpdateSubscriptionRequest:
    """`PATCH /api/v1/subscriptions/{id}`: the saved payment method later
    charges (and dunning retries) use.

        Example:
            {'paymentMethod': 'tok_mastercard'}

        Attributes:
            payment_method (None | str | Unset):
    """

    payment_method: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        payment_method: None | str | Unset
        if isinstance(self.payment_method, Unset):
            payment_method = UNSET
        else:
            payment_method = self.payment_method

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if payment_method is not UNSET:
            field_dict["paymentMethod"] = payment_method

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_payment_method(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        payment_method = _parse_payment_method(d.pop("paymentMethod", UNSET))

        update_subscription_request = cls(
            payment_method=payment_method,
        )

        return update_subscription_request
