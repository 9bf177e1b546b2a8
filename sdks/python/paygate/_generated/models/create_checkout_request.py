from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.create_checkout_request_capture_method import (
    CreateCheckoutRequestCaptureMethod,
)
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.create_checkout_request_metadata_type_0 import (
        CreateCheckoutRequestMetadataType0,
    )
    from ..models.customer_input import CustomerInput
    from ..models.line_item_input import LineItemInput


T = TypeVar("T", bound="CreateCheckoutRequest")


@_attrs_define
class CreateCheckoutRequest:
    """`POST /api/v1/checkouts/{siteId}/create`.

    Example:
        {'amount': 11900, 'currency': 'EUR', 'description': 'Pro plan', 'customer': {'email': 'a@example.com', 'name':
            'Ada', 'vatId': 'DE123456789', 'address': {'country': 'DE', 'line1': 'Hauptstr. 1', 'city': 'Berlin',
            'postalCode': '10115'}}, 'lineItems': [{'name': 'Pro plan', 'quantity': 1, 'amount': 11900}], 'captureMethod':
            'automatic', 'ipnUrl': 'https://merchant.example/ipn', 'successUrl': 'https://merchant.example/thanks',
            'cancelUrl': 'https://merchant.example/cart', 'metadata': {'orderId': '1234'}, 'expiresInSeconds': 3600}

    Attributes:
        amount (int | None | Unset): Gross amount in minor units; line items must add up to it. Required. Example:
            11900.
        currency (None | str | Unset): ISO 4217. Required. Example: EUR.
        description (None | str | Unset):
        customer (CustomerInput | None | Unset):
        line_items (list[LineItemInput] | None | Unset):
        capture_method (CreateCheckoutRequestCaptureMethod | Unset):
        ipn_url (None | str | Unset): Where IPNs are POSTed (https).
        success_url (None | str | Unset):
        cancel_url (None | str | Unset):
        metadata (CreateCheckoutRequestMetadataType0 | None | Unset): Up to 50 keys of 1–40 characters, values up to
            500.
        expires_in_seconds (int | None | Unset): 60–604800; default 3600.
        mode (None | str | Unset): `payment` (default) or `subscription`: sells `planId` to the
            customer (amount, currency and the one line come from the plan). Example: payment.
        plan_id (None | str | Unset): The plan a subscription checkout sells.
        customer_id (None | str | Unset): An existing customer (`cus_…`, of the key's organization and mode)
            the checkout bills: each detail the inline `customer` leaves out
            comes from it, and the transaction, invoice and credit notes carry
            it, so the customer finds them in the portal. Example: cus_4d5e6f7a8b9c0d1e2f3a4b5c.
    """

    amount: int | None | Unset = UNSET
    currency: None | str | Unset = UNSET
    description: None | str | Unset = UNSET
    customer: CustomerInput | None | Unset = UNSET
    line_items: list[LineItemInput] | None | Unset = UNSET
    capture_method: CreateCheckoutRequestCaptureMethod | Unset = UNSET
    ipn_url: None | str | Unset = UNSET
    success_url: None | str | Unset = UNSET
    cancel_url: None | str | Unset = UNSET
    metadata: CreateCheckoutRequestMetadataType0 | None | Unset = UNSET
    expires_in_seconds: int | None | Unset = UNSET
    mode: None | str | Unset = UNSET
    plan_id: None | str | Unset = UNSET
    customer_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.create_checkout_request_metadata_type_0 import (
            CreateCheckoutRequestMetadataType0,
        )
        from ..models.customer_input import CustomerInput

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

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        customer: dict[str, Any] | None | Unset
        if isinstance(self.customer, Unset):
            customer = UNSET
        elif isinstance(self.customer, CustomerInput):
            customer = self.customer.to_dict()
        else:
            customer = self.customer

        line_items: list[dict[str, Any]] | None | Unset
        if isinstance(self.line_items, Unset):
            line_items = UNSET
        elif isinstance(self.line_items, list):
            line_items = []
            for line_items_type_0_item_data in self.line_items:
                line_items_type_0_item = line_items_type_0_item_data.to_dict()
                line_items.append(line_items_type_0_item)

        else:
            line_items = self.line_items

        capture_method: str | Unset = UNSET
        if not isinstance(self.capture_method, Unset):
            capture_method = self.capture_method.value

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

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, CreateCheckoutRequestMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        expires_in_seconds: int | None | Unset
        if isinstance(self.expires_in_seconds, Unset):
            expires_in_seconds = UNSET
        else:
            expires_in_seconds = self.expires_in_seconds

        mode: None | str | Unset
        if isinstance(self.mode, Unset):
            mode = UNSET
        else:
            mode = self.mode

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

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if amount is not UNSET:
            field_dict["amount"] = amount
        if currency is not UNSET:
            field_dict["currency"] = currency
        if description is not UNSET:
            field_dict["description"] = description
        if customer is not UNSET:
            field_dict["customer"] = customer
        if line_items is not UNSET:
            field_dict["lineItems"] = line_items
        if capture_method is not UNSET:
            field_dict["captureMethod"] = capture_method
        if ipn_url is not UNSET:
            field_dict["ipnUrl"] = ipn_url
        if success_url is not UNSET:
            field_dict["successUrl"] = success_url
        if cancel_url is not UNSET:
            field_dict["cancelUrl"] = cancel_url
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if expires_in_seconds is not UNSET:
            field_dict["expiresInSeconds"] = expires_in_seconds
        if mode is not UNSET:
            field_dict["mode"] = mode
        if plan_id is not UNSET:
            field_dict["planId"] = plan_id
        if customer_id is not UNSET:
            field_dict["customerId"] = customer_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.create_checkout_request_metadata_type_0 import (
            CreateCheckoutRequestMetadataType0,
        )
        from ..models.customer_input import CustomerInput
        from ..models.line_item_input import LineItemInput

        d = dict(src_dict)

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

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_customer(data: object) -> CustomerInput | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                customer_type_1 = CustomerInput.from_dict(data)

                return customer_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CustomerInput | None | Unset, data)

        customer = _parse_customer(d.pop("customer", UNSET))

        def _parse_line_items(data: object) -> list[LineItemInput] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                line_items_type_0 = []
                _line_items_type_0 = data
                for line_items_type_0_item_data in _line_items_type_0:
                    line_items_type_0_item = LineItemInput.from_dict(
                        line_items_type_0_item_data
                    )

                    line_items_type_0.append(line_items_type_0_item)

                return line_items_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[LineItemInput] | None | Unset, data)

        line_items = _parse_line_items(d.pop("lineItems", UNSET))

        _capture_method = d.pop("captureMethod", UNSET)
        capture_method: CreateCheckoutRequestCaptureMethod | Unset
        if isinstance(_capture_method, Unset):
            capture_method = UNSET
        else:
            capture_method = CreateCheckoutRequestCaptureMethod(_capture_method)

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

        def _parse_metadata(
            data: object,
        ) -> CreateCheckoutRequestMetadataType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = CreateCheckoutRequestMetadataType0.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CreateCheckoutRequestMetadataType0 | None | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        def _parse_expires_in_seconds(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        expires_in_seconds = _parse_expires_in_seconds(d.pop("expiresInSeconds", UNSET))

        def _parse_mode(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        mode = _parse_mode(d.pop("mode", UNSET))

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

        create_checkout_request = cls(
            amount=amount,
            currency=currency,
            description=description,
            customer=customer,
            line_items=line_items,
            capture_method=capture_method,
            ipn_url=ipn_url,
            success_url=success_url,
            cancel_url=cancel_url,
            metadata=metadata,
            expires_in_seconds=expires_in_seconds,
            mode=mode,
            plan_id=plan_id,
            customer_id=customer_id,
        )

        return create_checkout_request
