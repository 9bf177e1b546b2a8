from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.payment_method_type_2_type import PaymentMethodType2Type

T = TypeVar("T", bound="PaymentMethodType2")


@_attrs_define
class PaymentMethodType2:
    """A GoCardless Direct Debit mandate (`MD…`), in `token`.

    Attributes:
        token (str):
        type_ (PaymentMethodType2Type):
    """

    token: str
    type_: PaymentMethodType2Type
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        token = self.token

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "token": token,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        token = d.pop("token")

        type_ = PaymentMethodType2Type(d.pop("type"))

        payment_method_type_2 = cls(
            token=token,
            type_=type_,
        )

        payment_method_type_2.additional_properties = d
        return payment_method_type_2

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
