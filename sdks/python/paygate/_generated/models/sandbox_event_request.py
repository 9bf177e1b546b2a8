from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.sandbox_event_request_type import SandboxEventRequestType
from ..types import UNSET, Unset

T = TypeVar("T", bound="SandboxEventRequest")


@_attrs_define
class SandboxEventRequest:
    """`POST /api/v1/providers/{id}/sandbox-events`: what the sandbox's
    "dashboard" does, announced by a signed webhook to the provider's
    `webhookUrl`.

        Example:
            {'type': 'refund.succeeded', 'transactionId': 'txn_…', 'amount': 500}

        Attributes:
            type_ (SandboxEventRequestType | Unset):
            transaction_id (None | str | Unset):
            amount (int | None | Unset): Refunds and disputes: minor units; absent = everything left.
            reason (None | str | Unset):
    """

    type_: SandboxEventRequestType | Unset = UNSET
    transaction_id: None | str | Unset = UNSET
    amount: int | None | Unset = UNSET
    reason: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        type_: str | Unset = UNSET
        if not isinstance(self.type_, Unset):
            type_ = self.type_.value

        transaction_id: None | str | Unset
        if isinstance(self.transaction_id, Unset):
            transaction_id = UNSET
        else:
            transaction_id = self.transaction_id

        amount: int | None | Unset
        if isinstance(self.amount, Unset):
            amount = UNSET
        else:
            amount = self.amount

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        else:
            reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if type_ is not UNSET:
            field_dict["type"] = type_
        if transaction_id is not UNSET:
            field_dict["transactionId"] = transaction_id
        if amount is not UNSET:
            field_dict["amount"] = amount
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        _type_ = d.pop("type", UNSET)
        type_: SandboxEventRequestType | Unset
        if isinstance(_type_, Unset):
            type_ = UNSET
        else:
            type_ = SandboxEventRequestType(_type_)

        def _parse_transaction_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        transaction_id = _parse_transaction_id(d.pop("transactionId", UNSET))

        def _parse_amount(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        amount = _parse_amount(d.pop("amount", UNSET))

        def _parse_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        sandbox_event_request = cls(
            type_=type_,
            transaction_id=transaction_id,
            amount=amount,
            reason=reason,
        )

        return sandbox_event_request
