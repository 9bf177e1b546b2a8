from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CaptureRequest")


@_attrs_define
class CaptureRequest:
    """`POST /api/v1/transactions/{id}/capture`.

    Example:
        {'amount': 5000}

    Attributes:
        amount (int | None | Unset): Minor units, at most the authorized amount; the rest of the
            authorization is released. Absent: the whole authorization. `null`
            is refused. Example: 5000.
    """

    amount: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        amount: int | None | Unset
        if isinstance(self.amount, Unset):
            amount = UNSET
        else:
            amount = self.amount

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if amount is not UNSET:
            field_dict["amount"] = amount

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_amount(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        amount = _parse_amount(d.pop("amount", UNSET))

        capture_request = cls(
            amount=amount,
        )

        return capture_request
