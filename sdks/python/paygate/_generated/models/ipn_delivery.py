from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.ipn_attempt import IpnAttempt


T = TypeVar("T", bound="IpnDelivery")


@_attrs_define
class IpnDelivery:
    """One IPN event and its delivery attempts.

    Attributes:
        id (str): The event id (`evt_…`), stable across retries. Example: evt_6f7a8b9c0d1e2f3a4b5c6d7e.
        object_ (str): Always `ipn_delivery`. Example: ipn_delivery.
        livemode (bool): `true` for a live object, `false` for a test one: the mode of the
            API key that created it (or of its parent).
        site_id (str):
        checkout_id (str):
        event_type (str):  Example: transaction.succeeded.
        url (str):
        status (str): `pending`, `succeeded` or `failed`. Example: succeeded.
        attempts (list[IpnAttempt]):
        transaction_id (None | str | Unset):
        next_attempt_at (datetime.datetime | None | Unset):
        created_at (datetime.datetime | None | Unset):
    """

    id: str
    object_: str
    livemode: bool
    site_id: str
    checkout_id: str
    event_type: str
    url: str
    status: str
    attempts: list[IpnAttempt]
    transaction_id: None | str | Unset = UNSET
    next_attempt_at: datetime.datetime | None | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        livemode = self.livemode

        site_id = self.site_id

        checkout_id = self.checkout_id

        event_type = self.event_type

        url = self.url

        status = self.status

        attempts = []
        for attempts_item_data in self.attempts:
            attempts_item = attempts_item_data.to_dict()
            attempts.append(attempts_item)

        transaction_id: None | str | Unset
        if isinstance(self.transaction_id, Unset):
            transaction_id = UNSET
        else:
            transaction_id = self.transaction_id

        next_attempt_at: None | str | Unset
        if isinstance(self.next_attempt_at, Unset):
            next_attempt_at = UNSET
        elif isinstance(self.next_attempt_at, datetime.datetime):
            next_attempt_at = self.next_attempt_at.isoformat()
        else:
            next_attempt_at = self.next_attempt_at

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
                "siteId": site_id,
                "checkoutId": checkout_id,
                "eventType": event_type,
                "url": url,
                "status": status,
                "attempts": attempts,
            }
        )
        if transaction_id is not UNSET:
            field_dict["transactionId"] = transaction_id
        if next_attempt_at is not UNSET:
            field_dict["nextAttemptAt"] = next_attempt_at
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.ipn_attempt import IpnAttempt

        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        livemode = d.pop("livemode")

        site_id = d.pop("siteId")

        checkout_id = d.pop("checkoutId")

        event_type = d.pop("eventType")

        url = d.pop("url")

        status = d.pop("status")

        attempts = []
        _attempts = d.pop("attempts")
        for attempts_item_data in _attempts:
            attempts_item = IpnAttempt.from_dict(attempts_item_data)

            attempts.append(attempts_item)

        def _parse_transaction_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        transaction_id = _parse_transaction_id(d.pop("transactionId", UNSET))

        def _parse_next_attempt_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_attempt_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_attempt_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        next_attempt_at = _parse_next_attempt_at(d.pop("nextAttemptAt", UNSET))

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

        ipn_delivery = cls(
            id=id,
            object_=object_,
            livemode=livemode,
            site_id=site_id,
            checkout_id=checkout_id,
            event_type=event_type,
            url=url,
            status=status,
            attempts=attempts,
            transaction_id=transaction_id,
            next_attempt_at=next_attempt_at,
            created_at=created_at,
        )

        ipn_delivery.additional_properties = d
        return ipn_delivery

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
