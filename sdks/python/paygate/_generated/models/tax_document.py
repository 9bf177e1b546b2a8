from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.tax_document_language import TaxDocumentLanguage
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.amount_split import AmountSplit
    from ..models.document_line import DocumentLine
    from ..models.document_party import DocumentParty
    from ..models.rate_total import RateTotal


T = TypeVar("T", bound="TaxDocument")


@_attrs_define
class TaxDocument:
    """An invoice (one per succeeded transaction) or a credit note (one per
    refund).

        Attributes:
            id (str):  Example: inv_4d5e6f7a8b9c0d1e2f3a4b5c.
            object_ (str): `invoice` or `credit_note`. Example: invoice.
            livemode (bool): `true` for a live document, `false` for a test one (its
                transaction's mode). Each mode has its own gap-free sequence; test
                numbers start with `TEST-`.
            number (str):  Example: INV-2026-000001.
            sequence (int):
            site_id (str):
            transaction_id (str):
            checkout_id (str):
            currency (str):
            currency_exponent (int): Decimals of the currency's minor unit: amounts are in minor units
                (EUR 2, JPY 0, KWD 3). Example: 2.
            lines (list[DocumentLine]):
            tax_breakdown (list[RateTotal]):
            totals (AmountSplit): Gross = net + tax, in minor units.
            reverse_charge (bool):
            notes (list[str]):
            language (TaxDocumentLanguage):
            customer_id (None | str | Unset): The customer record of the checkout, when it named one.
            issued_at (datetime.datetime | None | Unset):
            seller (DocumentParty | None | Unset):
            buyer (DocumentParty | None | Unset):
            invoice_id (None | str | Unset): Credit notes: the invoice they correct.
            invoice_number (None | str | Unset):
            refund_id (None | str | Unset): Credit notes: the refund they document.
            supplied_at (datetime.datetime | None | Unset): When the service was supplied: the payment (credit notes: the
                refund). `null` on documents issued before it was recorded.
            payment_method (None | str | Unset): How the invoice was paid (the credit note refunded): `card`,
                `sepa_debit`, `direct_debit` or `upi`. Example: card.
            paid_at (datetime.datetime | None | Unset): When the payment (credit notes: the refund) was made.
    """

    id: str
    object_: str
    livemode: bool
    number: str
    sequence: int
    site_id: str
    transaction_id: str
    checkout_id: str
    currency: str
    currency_exponent: int
    lines: list[DocumentLine]
    tax_breakdown: list[RateTotal]
    totals: AmountSplit
    reverse_charge: bool
    notes: list[str]
    language: TaxDocumentLanguage
    customer_id: None | str | Unset = UNSET
    issued_at: datetime.datetime | None | Unset = UNSET
    seller: DocumentParty | None | Unset = UNSET
    buyer: DocumentParty | None | Unset = UNSET
    invoice_id: None | str | Unset = UNSET
    invoice_number: None | str | Unset = UNSET
    refund_id: None | str | Unset = UNSET
    supplied_at: datetime.datetime | None | Unset = UNSET
    payment_method: None | str | Unset = UNSET
    paid_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.document_party import DocumentParty

        id = self.id

        object_ = self.object_

        livemode = self.livemode

        number = self.number

        sequence = self.sequence

        site_id = self.site_id

        transaction_id = self.transaction_id

        checkout_id = self.checkout_id

        currency = self.currency

        currency_exponent = self.currency_exponent

        lines = []
        for lines_item_data in self.lines:
            lines_item = lines_item_data.to_dict()
            lines.append(lines_item)

        tax_breakdown = []
        for tax_breakdown_item_data in self.tax_breakdown:
            tax_breakdown_item = tax_breakdown_item_data.to_dict()
            tax_breakdown.append(tax_breakdown_item)

        totals = self.totals.to_dict()

        reverse_charge = self.reverse_charge

        notes = self.notes

        language = self.language.value

        customer_id: None | str | Unset
        if isinstance(self.customer_id, Unset):
            customer_id = UNSET
        else:
            customer_id = self.customer_id

        issued_at: None | str | Unset
        if isinstance(self.issued_at, Unset):
            issued_at = UNSET
        elif isinstance(self.issued_at, datetime.datetime):
            issued_at = self.issued_at.isoformat()
        else:
            issued_at = self.issued_at

        seller: dict[str, Any] | None | Unset
        if isinstance(self.seller, Unset):
            seller = UNSET
        elif isinstance(self.seller, DocumentParty):
            seller = self.seller.to_dict()
        else:
            seller = self.seller

        buyer: dict[str, Any] | None | Unset
        if isinstance(self.buyer, Unset):
            buyer = UNSET
        elif isinstance(self.buyer, DocumentParty):
            buyer = self.buyer.to_dict()
        else:
            buyer = self.buyer

        invoice_id: None | str | Unset
        if isinstance(self.invoice_id, Unset):
            invoice_id = UNSET
        else:
            invoice_id = self.invoice_id

        invoice_number: None | str | Unset
        if isinstance(self.invoice_number, Unset):
            invoice_number = UNSET
        else:
            invoice_number = self.invoice_number

        refund_id: None | str | Unset
        if isinstance(self.refund_id, Unset):
            refund_id = UNSET
        else:
            refund_id = self.refund_id

        supplied_at: None | str | Unset
        if isinstance(self.supplied_at, Unset):
            supplied_at = UNSET
        elif isinstance(self.supplied_at, datetime.datetime):
            supplied_at = self.supplied_at.isoformat()
        else:
            supplied_at = self.supplied_at

        payment_method: None | str | Unset
        if isinstance(self.payment_method, Unset):
            payment_method = UNSET
        else:
            payment_method = self.payment_method

        paid_at: None | str | Unset
        if isinstance(self.paid_at, Unset):
            paid_at = UNSET
        elif isinstance(self.paid_at, datetime.datetime):
            paid_at = self.paid_at.isoformat()
        else:
            paid_at = self.paid_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "livemode": livemode,
                "number": number,
                "sequence": sequence,
                "siteId": site_id,
                "transactionId": transaction_id,
                "checkoutId": checkout_id,
                "currency": currency,
                "currencyExponent": currency_exponent,
                "lines": lines,
                "taxBreakdown": tax_breakdown,
                "totals": totals,
                "reverseCharge": reverse_charge,
                "notes": notes,
                "language": language,
            }
        )
        if customer_id is not UNSET:
            field_dict["customerId"] = customer_id
        if issued_at is not UNSET:
            field_dict["issuedAt"] = issued_at
        if seller is not UNSET:
            field_dict["seller"] = seller
        if buyer is not UNSET:
            field_dict["buyer"] = buyer
        if invoice_id is not UNSET:
            field_dict["invoiceId"] = invoice_id
        if invoice_number is not UNSET:
            field_dict["invoiceNumber"] = invoice_number
        if refund_id is not UNSET:
            field_dict["refundId"] = refund_id
        if supplied_at is not UNSET:
            field_dict["suppliedAt"] = supplied_at
        if payment_method is not UNSET:
            field_dict["paymentMethod"] = payment_method
        if paid_at is not UNSET:
            field_dict["paidAt"] = paid_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.amount_split import AmountSplit
        from ..models.document_line import DocumentLine
        from ..models.document_party import DocumentParty
        from ..models.rate_total import RateTotal

        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        livemode = d.pop("livemode")

        number = d.pop("number")

        sequence = d.pop("sequence")

        site_id = d.pop("siteId")

        transaction_id = d.pop("transactionId")

        checkout_id = d.pop("checkoutId")

        currency = d.pop("currency")

        currency_exponent = d.pop("currencyExponent")

        lines = []
        _lines = d.pop("lines")
        for lines_item_data in _lines:
            lines_item = DocumentLine.from_dict(lines_item_data)

            lines.append(lines_item)

        tax_breakdown = []
        _tax_breakdown = d.pop("taxBreakdown")
        for tax_breakdown_item_data in _tax_breakdown:
            tax_breakdown_item = RateTotal.from_dict(tax_breakdown_item_data)

            tax_breakdown.append(tax_breakdown_item)

        totals = AmountSplit.from_dict(d.pop("totals"))

        reverse_charge = d.pop("reverseCharge")

        notes = cast(list[str], d.pop("notes"))

        language = TaxDocumentLanguage(d.pop("language"))

        def _parse_customer_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        customer_id = _parse_customer_id(d.pop("customerId", UNSET))

        def _parse_issued_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                issued_at_type_0 = datetime.datetime.fromisoformat(data)

                return issued_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        issued_at = _parse_issued_at(d.pop("issuedAt", UNSET))

        def _parse_seller(data: object) -> DocumentParty | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                seller_type_1 = DocumentParty.from_dict(data)

                return seller_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DocumentParty | None | Unset, data)

        seller = _parse_seller(d.pop("seller", UNSET))

        def _parse_buyer(data: object) -> DocumentParty | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                buyer_type_1 = DocumentParty.from_dict(data)

                return buyer_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DocumentParty | None | Unset, data)

        buyer = _parse_buyer(d.pop("buyer", UNSET))

        def _parse_invoice_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        invoice_id = _parse_invoice_id(d.pop("invoiceId", UNSET))

        def _parse_invoice_number(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        invoice_number = _parse_invoice_number(d.pop("invoiceNumber", UNSET))

        def _parse_refund_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        refund_id = _parse_refund_id(d.pop("refundId", UNSET))

        def _parse_supplied_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                supplied_at_type_0 = datetime.datetime.fromisoformat(data)

                return supplied_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        supplied_at = _parse_supplied_at(d.pop("suppliedAt", UNSET))

        def _parse_payment_method(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        payment_method = _parse_payment_method(d.pop("paymentMethod", UNSET))

        def _parse_paid_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                paid_at_type_0 = datetime.datetime.fromisoformat(data)

                return paid_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        paid_at = _parse_paid_at(d.pop("paidAt", UNSET))

        tax_document = cls(
            id=id,
            object_=object_,
            livemode=livemode,
            number=number,
            sequence=sequence,
            site_id=site_id,
            transaction_id=transaction_id,
            checkout_id=checkout_id,
            currency=currency,
            currency_exponent=currency_exponent,
            lines=lines,
            tax_breakdown=tax_breakdown,
            totals=totals,
            reverse_charge=reverse_charge,
            notes=notes,
            language=language,
            customer_id=customer_id,
            issued_at=issued_at,
            seller=seller,
            buyer=buyer,
            invoice_id=invoice_id,
            invoice_number=invoice_number,
            refund_id=refund_id,
            supplied_at=supplied_at,
            payment_method=payment_method,
            paid_at=paid_at,
        )

        tax_document.additional_properties = d
        return tax_document

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
