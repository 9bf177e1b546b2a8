from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.capture_method import CaptureMethod
from ..models.transaction_status import TransactionStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.action_failure import ActionFailure
    from ..models.dispute import Dispute
    from ..models.payment_method_type_0 import PaymentMethodType0
    from ..models.payment_method_type_1 import PaymentMethodType1
    from ..models.payment_method_type_2 import PaymentMethodType2
    from ..models.refund import Refund
    from ..models.transaction_next_action_type_0 import TransactionNextActionType0


T = TypeVar("T", bound="Transaction")


@_attrs_define
class Transaction:
    """One payment attempt of a checkout: `GET /api/v1/transactions/{id}` and
    `data.transaction` of every IPN.

        Attributes:
            id (str):  Example: txn_9a8b7c6d5e4f3a2b1c0d9e8f.
            object_ (str): Always `transaction`. Example: transaction.
            livemode (bool): `true` for a live object, `false` for a test one: the mode of the
                API key that created it (or of its parent).
            organization_id (str):
            site_id (str):
            checkout_id (str):
            status (TransactionStatus): `pending` → `processing` → `requires_capture` | `succeeded` |
                `failed`; `requires_capture` → `succeeded` | `canceled`.
            amount (int):
            amount_captured (int):
            amount_refunded (int):
            currency (str):
            capture_method (CaptureMethod): `automatic` charges at once; `manual` authorizes and waits for a
                capture.
            provider (str):
            disputes (list[Dispute]): Disputes of this charge, as the provider reports them.
            tax_amount (int):
            net_amount (int):
            tax_rate_bps (int): Basis points: 1900 is 19 %.
            reverse_charge (bool):
            refunds (list[Refund]):
            customer_id (None | str | Unset): The checkout's customer record.
            payment_method (None | PaymentMethodType0 | PaymentMethodType1 | PaymentMethodType2 | Unset):
            provider_id (None | str | Unset): The provider account that charged; `null`: the built-in sandbox.
            provider_reference (None | str | Unset):
            failure_code (None | str | Unset):
            failure_message (None | str | Unset):
            next_action (None | TransactionNextActionType0 | Unset): While the payer must act first (3-D Secure): the
                provider's
                instruction.
            invoice_id (None | str | Unset):
            tax_country (None | str | Unset):
            pending_action (None | str | Unset): A capture or cancel the provider has not answered yet (`capture` or
                `cancel`); Paygate finishes it in the background.
            last_action_failure (ActionFailure | None | Unset):
            created_at (datetime.datetime | None | Unset):
            updated_at (datetime.datetime | None | Unset):
    """

    id: str
    object_: str
    livemode: bool
    organization_id: str
    site_id: str
    checkout_id: str
    status: TransactionStatus
    amount: int
    amount_captured: int
    amount_refunded: int
    currency: str
    capture_method: CaptureMethod
    provider: str
    disputes: list[Dispute]
    tax_amount: int
    net_amount: int
    tax_rate_bps: int
    reverse_charge: bool
    refunds: list[Refund]
    customer_id: None | str | Unset = UNSET
    payment_method: (
        None | PaymentMethodType0 | PaymentMethodType1 | PaymentMethodType2 | Unset
    ) = UNSET
    provider_id: None | str | Unset = UNSET
    provider_reference: None | str | Unset = UNSET
    failure_code: None | str | Unset = UNSET
    failure_message: None | str | Unset = UNSET
    next_action: None | TransactionNextActionType0 | Unset = UNSET
    invoice_id: None | str | Unset = UNSET
    tax_country: None | str | Unset = UNSET
    pending_action: None | str | Unset = UNSET
    last_action_failure: ActionFailure | None | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    updated_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.action_failure import ActionFailure
        from ..models.payment_method_type_0 import PaymentMethodType0
        from ..models.payment_method_type_1 import PaymentMethodType1
        from ..models.payment_method_type_2 import PaymentMethodType2
        from ..models.transaction_next_action_type_0 import TransactionNextActionType0

        id = self.id

        object_ = self.object_

        livemode = self.livemode

        organization_id = self.organization_id

        site_id = self.site_id

        checkout_id = self.checkout_id

        status = self.status.value

        amount = self.amount

        amount_captured = self.amount_captured

        amount_refunded = self.amount_refunded

        currency = self.currency

        capture_method = self.capture_method.value

        provider = self.provider

        disputes = []
        for disputes_item_data in self.disputes:
            disputes_item = disputes_item_data.to_dict()
            disputes.append(disputes_item)

        tax_amount = self.tax_amount

        net_amount = self.net_amount

        tax_rate_bps = self.tax_rate_bps

        reverse_charge = self.reverse_charge

        refunds = []
        for refunds_item_data in self.refunds:
            refunds_item = refunds_item_data.to_dict()
            refunds.append(refunds_item)

        customer_id: None | str | Unset
        if isinstance(self.customer_id, Unset):
            customer_id = UNSET
        else:
            customer_id = self.customer_id

        payment_method: dict[str, Any] | None | Unset
        if isinstance(self.payment_method, Unset):
            payment_method = UNSET
        elif (
            isinstance(self.payment_method, PaymentMethodType0)
            or isinstance(self.payment_method, PaymentMethodType1)
            or isinstance(self.payment_method, PaymentMethodType2)
        ):
            payment_method = self.payment_method.to_dict()
        else:
            payment_method = self.payment_method

        provider_id: None | str | Unset
        if isinstance(self.provider_id, Unset):
            provider_id = UNSET
        else:
            provider_id = self.provider_id

        provider_reference: None | str | Unset
        if isinstance(self.provider_reference, Unset):
            provider_reference = UNSET
        else:
            provider_reference = self.provider_reference

        failure_code: None | str | Unset
        if isinstance(self.failure_code, Unset):
            failure_code = UNSET
        else:
            failure_code = self.failure_code

        failure_message: None | str | Unset
        if isinstance(self.failure_message, Unset):
            failure_message = UNSET
        else:
            failure_message = self.failure_message

        next_action: dict[str, Any] | None | Unset
        if isinstance(self.next_action, Unset):
            next_action = UNSET
        elif isinstance(self.next_action, TransactionNextActionType0):
            next_action = self.next_action.to_dict()
        else:
            next_action = self.next_action

        invoice_id: None | str | Unset
        if isinstance(self.invoice_id, Unset):
            invoice_id = UNSET
        else:
            invoice_id = self.invoice_id

        tax_country: None | str | Unset
        if isinstance(self.tax_country, Unset):
            tax_country = UNSET
        else:
            tax_country = self.tax_country

        pending_action: None | str | Unset
        if isinstance(self.pending_action, Unset):
            pending_action = UNSET
        else:
            pending_action = self.pending_action

        last_action_failure: dict[str, Any] | None | Unset
        if isinstance(self.last_action_failure, Unset):
            last_action_failure = UNSET
        elif isinstance(self.last_action_failure, ActionFailure):
            last_action_failure = self.last_action_failure.to_dict()
        else:
            last_action_failure = self.last_action_failure

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
                "livemode": livemode,
                "organizationId": organization_id,
                "siteId": site_id,
                "checkoutId": checkout_id,
                "status": status,
                "amount": amount,
                "amountCaptured": amount_captured,
                "amountRefunded": amount_refunded,
                "currency": currency,
                "captureMethod": capture_method,
                "provider": provider,
                "disputes": disputes,
                "taxAmount": tax_amount,
                "netAmount": net_amount,
                "taxRateBps": tax_rate_bps,
                "reverseCharge": reverse_charge,
                "refunds": refunds,
            }
        )
        if customer_id is not UNSET:
            field_dict["customerId"] = customer_id
        if payment_method is not UNSET:
            field_dict["paymentMethod"] = payment_method
        if provider_id is not UNSET:
            field_dict["providerId"] = provider_id
        if provider_reference is not UNSET:
            field_dict["providerReference"] = provider_reference
        if failure_code is not UNSET:
            field_dict["failureCode"] = failure_code
        if failure_message is not UNSET:
            field_dict["failureMessage"] = failure_message
        if next_action is not UNSET:
            field_dict["nextAction"] = next_action
        if invoice_id is not UNSET:
            field_dict["invoiceId"] = invoice_id
        if tax_country is not UNSET:
            field_dict["taxCountry"] = tax_country
        if pending_action is not UNSET:
            field_dict["pendingAction"] = pending_action
        if last_action_failure is not UNSET:
            field_dict["lastActionFailure"] = last_action_failure
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if updated_at is not UNSET:
            field_dict["updatedAt"] = updated_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.action_failure import ActionFailure
        from ..models.dispute import Dispute
        from ..models.payment_method_type_0 import PaymentMethodType0
        from ..models.payment_method_type_1 import PaymentMethodType1
        from ..models.payment_method_type_2 import PaymentMethodType2
        from ..models.refund import Refund
        from ..models.transaction_next_action_type_0 import TransactionNextActionType0

        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        livemode = d.pop("livemode")

        organization_id = d.pop("organizationId")

        site_id = d.pop("siteId")

        checkout_id = d.pop("checkoutId")

        status = TransactionStatus(d.pop("status"))

        amount = d.pop("amount")

        amount_captured = d.pop("amountCaptured")

        amount_refunded = d.pop("amountRefunded")

        currency = d.pop("currency")

        capture_method = CaptureMethod(d.pop("captureMethod"))

        provider = d.pop("provider")

        disputes = []
        _disputes = d.pop("disputes")
        for disputes_item_data in _disputes:
            disputes_item = Dispute.from_dict(disputes_item_data)

            disputes.append(disputes_item)

        tax_amount = d.pop("taxAmount")

        net_amount = d.pop("netAmount")

        tax_rate_bps = d.pop("taxRateBps")

        reverse_charge = d.pop("reverseCharge")

        refunds = []
        _refunds = d.pop("refunds")
        for refunds_item_data in _refunds:
            refunds_item = Refund.from_dict(refunds_item_data)

            refunds.append(refunds_item)

        def _parse_customer_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        customer_id = _parse_customer_id(d.pop("customerId", UNSET))

        def _parse_payment_method(
            data: object,
        ) -> (
            None | PaymentMethodType0 | PaymentMethodType1 | PaymentMethodType2 | Unset
        ):
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_payment_method_type_0 = PaymentMethodType0.from_dict(
                    data
                )

                return componentsschemas_payment_method_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_payment_method_type_1 = PaymentMethodType1.from_dict(
                    data
                )

                return componentsschemas_payment_method_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_payment_method_type_2 = PaymentMethodType2.from_dict(
                    data
                )

                return componentsschemas_payment_method_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                None
                | PaymentMethodType0
                | PaymentMethodType1
                | PaymentMethodType2
                | Unset,
                data,
            )

        payment_method = _parse_payment_method(d.pop("paymentMethod", UNSET))

        def _parse_provider_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        provider_id = _parse_provider_id(d.pop("providerId", UNSET))

        def _parse_provider_reference(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        provider_reference = _parse_provider_reference(
            d.pop("providerReference", UNSET)
        )

        def _parse_failure_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        failure_code = _parse_failure_code(d.pop("failureCode", UNSET))

        def _parse_failure_message(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        failure_message = _parse_failure_message(d.pop("failureMessage", UNSET))

        def _parse_next_action(
            data: object,
        ) -> None | TransactionNextActionType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                next_action_type_0 = TransactionNextActionType0.from_dict(data)

                return next_action_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TransactionNextActionType0 | Unset, data)

        next_action = _parse_next_action(d.pop("nextAction", UNSET))

        def _parse_invoice_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        invoice_id = _parse_invoice_id(d.pop("invoiceId", UNSET))

        def _parse_tax_country(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tax_country = _parse_tax_country(d.pop("taxCountry", UNSET))

        def _parse_pending_action(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        pending_action = _parse_pending_action(d.pop("pendingAction", UNSET))

        def _parse_last_action_failure(data: object) -> ActionFailure | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                last_action_failure_type_1 = ActionFailure.from_dict(data)

                return last_action_failure_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ActionFailure | None | Unset, data)

        last_action_failure = _parse_last_action_failure(
            d.pop("lastActionFailure", UNSET)
        )

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

        transaction = cls(
            id=id,
            object_=object_,
            livemode=livemode,
            organization_id=organization_id,
            site_id=site_id,
            checkout_id=checkout_id,
            status=status,
            amount=amount,
            amount_captured=amount_captured,
            amount_refunded=amount_refunded,
            currency=currency,
            capture_method=capture_method,
            provider=provider,
            disputes=disputes,
            tax_amount=tax_amount,
            net_amount=net_amount,
            tax_rate_bps=tax_rate_bps,
            reverse_charge=reverse_charge,
            refunds=refunds,
            customer_id=customer_id,
            payment_method=payment_method,
            provider_id=provider_id,
            provider_reference=provider_reference,
            failure_code=failure_code,
            failure_message=failure_message,
            next_action=next_action,
            invoice_id=invoice_id,
            tax_country=tax_country,
            pending_action=pending_action,
            last_action_failure=last_action_failure,
            created_at=created_at,
            updated_at=updated_at,
        )

        transaction.additional_properties = d
        return transaction

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
