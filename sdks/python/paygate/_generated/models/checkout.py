from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.capture_method import CaptureMethod
from ..models.checkout_status import CheckoutStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.checkout_metadata import CheckoutMetadata
    from ..models.customer import Customer
    from ..models.line_item import LineItem


T = TypeVar("T", bound="Checkout")


@_attrs_define
class Checkout:
    """A checkout session as the merchant sees it (Admin API, IPN payloads).

    Attributes:
        id (str):  Example: chk_3f8a0c2e9b7d4a1c8e5f6a7b.
        object_ (str): Always `checkout`. Example: checkout.
        livemode (bool): `true` for a live object, `false` for a test one: the mode of the
            API key that created it (or of its parent).
        organization_id (str):
        site_id (str):
        status (CheckoutStatus): `open` → `processing` → `completed` | `expired` | `canceled`.
        amount (int): Gross amount in minor units. Example: 11900.
        currency (str):  Example: EUR.
        description (str):
        line_items (list[LineItem]):
        capture_method (CaptureMethod): `automatic` charges at once; `manual` authorizes and waits for a
            capture.
        metadata (CheckoutMetadata):
        payment_url (str): Where the payer pays.
        mode (str): `payment`, `subscription` (sells a plan) or `renewal` (a
            subscription's period, charged with the saved method). Example: payment.
        trial_days (int): A subscription checkout's free trial: paying it only saves the
            payment method.
        customer (Customer | None | Unset):
        ipn_url (None | str | Unset):
        success_url (None | str | Unset):
        cancel_url (None | str | Unset):
        transaction_id (None | str | Unset):
        created_at (datetime.datetime | None | Unset):
        expires_at (datetime.datetime | None | Unset):
        plan_id (None | str | Unset):
        customer_id (None | str | Unset): The customer record the checkout bills; its transaction, invoice and
            credit notes carry it too.
        subscription_id (None | str | Unset): A renewal checkout's subscription.
    """

    id: str
    object_: str
    livemode: bool
    organization_id: str
    site_id: str
    status: CheckoutStatus
    amount: int
    currency: str
    description: str
    line_items: list[LineItem]
    capture_method: CaptureMethod
    metadata: CheckoutMetadata
    payment_url: str
    mode: str
    trial_days: int
    customer: Customer | None | Unset = UNSET
    ipn_url: None | str | Unset = UNSET
    success_url: None | str | Unset = UNSET
    cancel_url: None | str | Unset = UNSET
    transaction_id: None | str | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    expires_at: datetime.datetime | None | Unset = UNSET
    plan_id: None | str | Unset = UNSET
    customer_id: None | str | Unset = UNSET
    subscription_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.customer import Customer

        id = self.id

        object_ = self.object_

        livemode = self.livemode

        organization_id = self.organization_id

        site_id = self.site_id

        status = self.status.value

        amount = self.amount

        currency = self.currency

        description = self.description

        line_items = []
        for line_items_item_data in self.line_items:
            line_items_item = line_items_item_data.to_dict()
            line_items.append(line_items_item)

        capture_method = self.capture_method.value

        metadata = self.metadata.to_dict()

        payment_url = self.payment_url

        mode = self.mode

        trial_days = self.trial_days

        customer: dict[str, Any] | None | Unset
        if isinstance(self.customer, Unset):
            customer = UNSET
        elif isinstance(self.customer, Customer):
            customer = self.customer.to_dict()
        else:
            customer = self.customer

        ipn_url: None | str | Unset
        if isinstance(self.ipn_url, Unset):
            ipn_url = UNSET
        else:
            ipn_url = self.ipn_url

        success_url: None | str | Unset
        if isinstance(self.success_url, Unset):
            success_url = UNSET
        else:
            success_url = self.success_url

        cancel_url: None | str | Unset
        if isinstance(self.cancel_url, Unset):
            cancel_url = UNSET
        else:
            cancel_url = self.cancel_url

        transaction_id: None | str | Unset
        if isinstance(self.transaction_id, Unset):
            transaction_id = UNSET
        else:
            transaction_id = self.transaction_id

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        elif isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        plan_id: None | str | Unset
        if isinstance(self.plan_id, Unset):
            plan_id = UNSET
        else:
            plan_id = self.plan_id

        customer_id: None | str | Unset
        if isinstance(self.customer_id, Unset):
            customer_id = UNSET
        else:
            customer_id = self.customer_id

        subscription_id: None | str | Unset
        if isinstance(self.subscription_id, Unset):
            subscription_id = UNSET
        else:
            subscription_id = self.subscription_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "livemode": livemode,
                "organizationId": organization_id,
                "siteId": site_id,
                "status": status,
                "amount": amount,
                "currency": currency,
                "description": description,
                "lineItems": line_items,
                "captureMethod": capture_method,
                "metadata": metadata,
                "paymentUrl": payment_url,
                "mode": mode,
                "trialDays": trial_days,
            }
        )
        if customer is not UNSET:
            field_dict["customer"] = customer
        if ipn_url is not UNSET:
            field_dict["ipnUrl"] = ipn_url
        if success_url is not UNSET:
            field_dict["successUrl"] = success_url
        if cancel_url is not UNSET:
            field_dict["cancelUrl"] = cancel_url
        if transaction_id is not UNSET:
            field_dict["transactionId"] = transaction_id
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if expires_at is not UNSET:
            field_dict["expiresAt"] = expires_at
        if plan_id is not UNSET:
            field_dict["planId"] = plan_id
        if customer_id is not UNSET:
            field_dict["customerId"] = customer_id
        if subscription_id is not UNSET:
            field_dict["subscriptionId"] = subscription_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.checkout_metadata import CheckoutMetadata
        from ..models.customer import Customer
        from ..models.line_item import LineItem

        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        livemode = d.pop("livemode")

        organization_id = d.pop("organizationId")

        site_id = d.pop("siteId")

        status = CheckoutStatus(d.pop("status"))

        amount = d.pop("amount")

        currency = d.pop("currency")

        description = d.pop("description")

        line_items = []
        _line_items = d.pop("lineItems")
        for line_items_item_data in _line_items:
            line_items_item = LineItem.from_dict(line_items_item_data)

            line_items.append(line_items_item)

        capture_method = CaptureMethod(d.pop("captureMethod"))

        metadata = CheckoutMetadata.from_dict(d.pop("metadata"))

        payment_url = d.pop("paymentUrl")

        mode = d.pop("mode")

        trial_days = d.pop("trialDays")

        def _parse_customer(data: object) -> Customer | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                customer_type_1 = Customer.from_dict(data)

                return customer_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Customer | None | Unset, data)

        customer = _parse_customer(d.pop("customer", UNSET))

        def _parse_ipn_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ipn_url = _parse_ipn_url(d.pop("ipnUrl", UNSET))

        def _parse_success_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        success_url = _parse_success_url(d.pop("successUrl", UNSET))

        def _parse_cancel_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cancel_url = _parse_cancel_url(d.pop("cancelUrl", UNSET))

        def _parse_transaction_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        transaction_id = _parse_transaction_id(d.pop("transactionId", UNSET))

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

        def _parse_expires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expires_at = _parse_expires_at(d.pop("expiresAt", UNSET))

        def _parse_plan_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        plan_id = _parse_plan_id(d.pop("planId", UNSET))

        def _parse_customer_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        customer_id = _parse_customer_id(d.pop("customerId", UNSET))

        def _parse_subscription_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        subscription_id = _parse_subscription_id(d.pop("subscriptionId", UNSET))

        checkout = cls(
            id=id,
            object_=object_,
            livemode=livemode,
            organization_id=organization_id,
            site_id=site_id,
            status=status,
            amount=amount,
            currency=currency,
            description=description,
            line_items=line_items,
            capture_method=capture_method,
            metadata=metadata,
            payment_url=payment_url,
            mode=mode,
            trial_days=trial_days,
            customer=customer,
            ipn_url=ipn_url,
            success_url=success_url,
            cancel_url=cancel_url,
            transaction_id=transaction_id,
            created_at=created_at,
            expires_at=expires_at,
            plan_id=plan_id,
            customer_id=customer_id,
            subscription_id=subscription_id,
        )

        checkout.additional_properties = d
        return checkout

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
