from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="TimelineEntry")


@_attrs_define
class TimelineEntry:
    """One thing that happened to a transaction. `at`, `type` and `title` are
    always there; the other fields only where they apply to the type.

        Attributes:
            type_ (str): `transaction.created`, `transaction.status_changed`,
                `transaction.captured`, `transaction.canceled`,
                `transaction.capture_failed`, `transaction.cancel_failed`,
                `refund.requested`, `refund.succeeded`, `refund.failed`,
                `dispute.opened`, `dispute.closed` or `ipn.attempt`. Example: transaction.status_changed.
            title (str): A line for people, in English. Example: Payment succeeded.
            at (datetime.datetime | None | Unset):
            status (None | str | Unset): The transaction's status from here on (status changes). Example: succeeded.
            amount (int | None | Unset): Minor units: the payment, capture, refund or dispute amount.
            refund_id (None | str | Unset):
            dispute_id (None | str | Unset):
            delivery_id (None | str | Unset): IPN attempts: the delivery (event id) and its event type.
            event_type (None | str | Unset):
            status_code (int | None | Unset): IPN attempts: the merchant server's HTTP status, absent when it
                never answered.
            error (None | str | Unset): IPN attempts that got no HTTP answer: why.
            code (None | str | Unset): Failures: the failure code and message.
            message (None | str | Unset):
            approximate (bool | Unset): Present (`true`) when the moment was not recorded and `at` is the
                best known bound (events of transactions older than their history).
    """

    type_: str
    title: str
    at: datetime.datetime | None | Unset = UNSET
    status: None | str | Unset = UNSET
    amount: int | None | Unset = UNSET
    refund_id: None | str | Unset = UNSET
    dispute_id: None | str | Unset = UNSET
    delivery_id: None | str | Unset = UNSET
    event_type: None | str | Unset = UNSET
    status_code: int | None | Unset = UNSET
    error: None | str | Unset = UNSET
    code: None | str | Unset = UNSET
    message: None | str | Unset = UNSET
    approximate: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        title = self.title

        at: None | str | Unset
        if isinstance(self.at, Unset):
            at = UNSET
        elif isinstance(self.at, datetime.datetime):
            at = self.at.isoformat()
        else:
            at = self.at

        status: None | str | Unset
        if isinstance(self.status, Unset):
            status = UNSET
        else:
            status = self.status

        amount: int | None | Unset
        if isinstance(self.amount, Unset):
            amount = UNSET
        else:
            amount = self.amount

        refund_id: None | str | Unset
        if isinstance(self.refund_id, Unset):
            refund_id = UNSET
        else:
            refund_id = self.refund_id

        dispute_id: None | str | Unset
        if isinstance(self.dispute_id, Unset):
            dispute_id = UNSET
        else:
            dispute_id = self.dispute_id

        delivery_id: None | str | Unset
        if isinstance(self.delivery_id, Unset):
            delivery_id = UNSET
        else:
            delivery_id = self.delivery_id

        event_type: None | str | Unset
        if isinstance(self.event_type, Unset):
            event_type = UNSET
        else:
            event_type = self.event_type

        status_code: int | None | Unset
        if isinstance(self.status_code, Unset):
            status_code = UNSET
        else:
            status_code = self.status_code

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        code: None | str | Unset
        if isinstance(self.code, Unset):
            code = UNSET
        else:
            code = self.code

        message: None | str | Unset
        if isinstance(self.message, Unset):
            message = UNSET
        else:
            message = self.message

        approximate = self.approximate

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "title": title,
            }
        )
        if at is not UNSET:
            field_dict["at"] = at
        if status is not UNSET:
            field_dict["status"] = status
        if amount is not UNSET:
            field_dict["amount"] = amount
        if refund_id is not UNSET:
            field_dict["refundId"] = refund_id
        if dispute_id is not UNSET:
            field_dict["disputeId"] = dispute_id
        if delivery_id is not UNSET:
            field_dict["deliveryId"] = delivery_id
        if event_type is not UNSET:
            field_dict["eventType"] = event_type
        if status_code is not UNSET:
            field_dict["statusCode"] = status_code
        if error is not UNSET:
            field_dict["error"] = error
        if code is not UNSET:
            field_dict["code"] = code
        if message is not UNSET:
            field_dict["message"] = message
        if approximate is not UNSET:
            field_dict["approximate"] = approximate

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = d.pop("type")

        title = d.pop("title")

        def _parse_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                at_type_0 = datetime.datetime.fromisoformat(data)

                return at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        at = _parse_at(d.pop("at", UNSET))

        def _parse_status(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        status = _parse_status(d.pop("status", UNSET))

        def _parse_amount(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        amount = _parse_amount(d.pop("amount", UNSET))

        def _parse_refund_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        refund_id = _parse_refund_id(d.pop("refundId", UNSET))

        def _parse_dispute_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        dispute_id = _parse_dispute_id(d.pop("disputeId", UNSET))

        def _parse_delivery_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        delivery_id = _parse_delivery_id(d.pop("deliveryId", UNSET))

        def _parse_event_type(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        event_type = _parse_event_type(d.pop("eventType", UNSET))

        def _parse_status_code(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        status_code = _parse_status_code(d.pop("statusCode", UNSET))

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        code = _parse_code(d.pop("code", UNSET))

        def _parse_message(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        message = _parse_message(d.pop("message", UNSET))

        approximate = d.pop("approximate", UNSET)

        timeline_entry = cls(
            type_=type_,
            title=title,
            at=at,
            status=status,
            amount=amount,
            refund_id=refund_id,
            dispute_id=dispute_id,
            delivery_id=delivery_id,
            event_type=event_type,
            status_code=status_code,
            error=error,
            code=code,
            message=message,
            approximate=approximate,
        )

        timeline_entry.additional_properties = d
        return timeline_entry

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
