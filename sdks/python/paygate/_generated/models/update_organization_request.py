from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.address_input import AddressInput


T = TypeVar("T", bound="UpdateOrganizationRequest")


@_attrs_define
class UpdateOrganizationRequest:
    """`PATCH /api/v1/organization`: absent fields stay as they are.

    Example:
        {'legalName': 'Shop GmbH', 'vatId': 'DE123456789', 'sellerCountry': 'DE', 'address': {'country': 'DE', 'line1':
            'Hauptstr. 1', 'city': 'Berlin', 'postalCode': '10115'}, 'invoicePrefix': 'INV', 'creditNotePrefix': 'CN',
            'email': 'billing@shop.example', 'phone': '+49 30 1234567', 'website': 'shop.example', 'registrationNumber':
            'HRB 123456', 'registerCourt': 'Amtsgericht Berlin-Charlottenburg'}

    Attributes:
        name (None | str | Unset):
        legal_name (None | str | Unset):
        address (AddressInput | None | Unset):
        vat_id (None | str | Unset):
        seller_country (None | str | Unset):
        invoice_prefix (None | str | Unset):
        credit_note_prefix (None | str | Unset):
        dunning_retry_days (list[int] | None | Unset): Days after a failed renewal on which it is retried: up to 10
            strictly increasing days, 1–60; `[]` restores 1, 3, 5, 7. Example: [1, 3, 5, 7].
        email (None | str | Unset): Printed with the seller on invoices; `""` clears it (likewise the
            fields below). A malformed address is a 400 `email_invalid`.
        phone (None | str | Unset): Digits with spaces, `+`, `-`, `(`, `)`, `/` or `.`; 4–20 digits
            (`phone_invalid`).
        website (None | str | Unset): A web address such as `shop.example` or `https://shop.example/about`
            (`website_invalid`).
        registration_number (None | str | Unset): The company's number in its register, e.g. `HRB 123456` or
            `RCS Paris 123 456 789`; up to 100 characters.
        register_court (None | str | Unset): The court or registry keeping the register, e.g.
            `Amtsgericht Berlin-Charlottenburg`; up to 100 characters.
        require_two_factor (bool | None | Unset): Every user of the organization must sign in with a second factor;
            those without one can only set it up until they do. Owners only
            (403 `owner_required` otherwise).
    """

    name: None | str | Unset = UNSET
    legal_name: None | str | Unset = UNSET
    address: AddressInput | None | Unset = UNSET
    vat_id: None | str | Unset = UNSET
    seller_country: None | str | Unset = UNSET
    invoice_prefix: None | str | Unset = UNSET
    credit_note_prefix: None | str | Unset = UNSET
    dunning_retry_days: list[int] | None | Unset = UNSET
    email: None | str | Unset = UNSET
    phone: None | str | Unset = UNSET
    website: None | str | Unset = UNSET
    registration_number: None | str | Unset = UNSET
    register_court: None | str | Unset = UNSET
    require_two_factor: bool | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.address_input import AddressInput

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        legal_name: None | str | Unset
        if isinstance(self.legal_name, Unset):
            legal_name = UNSET
        else:
            legal_name = self.legal_name

        address: dict[str, Any] | None | Unset
        if isinstance(self.address, Unset):
            address = UNSET
        elif isinstance(self.address, AddressInput):
            address = self.address.to_dict()
        else:
            address = self.address

        vat_id: None | str | Unset
        if isinstance(self.vat_id, Unset):
            vat_id = UNSET
        else:
            vat_id = self.vat_id

        seller_country: None | str | Unset
        if isinstance(self.seller_country, Unset):
            seller_country = UNSET
        else:
            seller_country = self.seller_country

        invoice_prefix: None | str | Unset
        if isinstance(self.invoice_prefix, Unset):
            invoice_prefix = UNSET
        else:
            invoice_prefix = self.invoice_prefix

        credit_note_prefix: None | str | Unset
        if isinstance(self.credit_note_prefix, Unset):
            credit_note_prefix = UNSET
        else:
            credit_note_prefix = self.credit_note_prefix

        dunning_retry_days: list[int] | None | Unset
        if isinstance(self.dunning_retry_days, Unset):
            dunning_retry_days = UNSET
        elif isinstance(self.dunning_retry_days, list):
            dunning_retry_days = self.dunning_retry_days

        else:
            dunning_retry_days = self.dunning_retry_days

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        phone: None | str | Unset
        if isinstance(self.phone, Unset):
            phone = UNSET
        else:
            phone = self.phone

        website: None | str | Unset
        if isinstance(self.website, Unset):
            website = UNSET
        else:
            website = self.website

        registration_number: None | str | Unset
        if isinstance(self.registration_number, Unset):
            registration_number = UNSET
        else:
            registration_number = self.registration_number

        register_court: None | str | Unset
        if isinstance(self.register_court, Unset):
            register_court = UNSET
        else:
            register_court = self.register_court

        require_two_factor: bool | None | Unset
        if isinstance(self.require_two_factor, Unset):
            require_two_factor = UNSET
        else:
            require_two_factor = self.require_two_factor

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if legal_name is not UNSET:
            field_dict["legalName"] = legal_name
        if address is not UNSET:
            field_dict["address"] = address
        if vat_id is not UNSET:
            field_dict["vatId"] = vat_id
        if seller_country is not UNSET:
            field_dict["sellerCountry"] = seller_country
        if invoice_prefix is not UNSET:
            field_dict["invoicePrefix"] = invoice_prefix
        if credit_note_prefix is not UNSET:
            field_dict["creditNotePrefix"] = credit_note_prefix
        if dunning_retry_days is not UNSET:
            field_dict["dunningRetryDays"] = dunning_retry_days
        if email is not UNSET:
            field_dict["email"] = email
        if phone is not UNSET:
            field_dict["phone"] = phone
        if website is not UNSET:
            field_dict["website"] = website
        if registration_number is not UNSET:
            field_dict["registrationNumber"] = registration_number
        if register_court is not UNSET:
            field_dict["registerCourt"] = register_court
        if require_two_factor is not UNSET:
            field_dict["requireTwoFactor"] = require_two_factor

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.address_input import AddressInput

        d = dict(src_dict)

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_legal_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        legal_name = _parse_legal_name(d.pop("legalName", UNSET))

        def _parse_address(data: object) -> AddressInput | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                address_type_1 = AddressInput.from_dict(data)

                return address_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AddressInput | None | Unset, data)

        address = _parse_address(d.pop("address", UNSET))

        def _parse_vat_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        vat_id = _parse_vat_id(d.pop("vatId", UNSET))

        def _parse_seller_country(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        seller_country = _parse_seller_country(d.pop("sellerCountry", UNSET))

        def _parse_invoice_prefix(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        invoice_prefix = _parse_invoice_prefix(d.pop("invoicePrefix", UNSET))

        def _parse_credit_note_prefix(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        credit_note_prefix = _parse_credit_note_prefix(d.pop("creditNotePrefix", UNSET))

        def _parse_dunning_retry_days(data: object) -> list[int] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                dunning_retry_days_type_0 = cast(list[int], data)

                return dunning_retry_days_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[int] | None | Unset, data)

        dunning_retry_days = _parse_dunning_retry_days(d.pop("dunningRetryDays", UNSET))

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_phone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        phone = _parse_phone(d.pop("phone", UNSET))

        def _parse_website(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        website = _parse_website(d.pop("website", UNSET))

        def _parse_registration_number(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        registration_number = _parse_registration_number(
            d.pop("registrationNumber", UNSET)
        )

        def _parse_register_court(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        register_court = _parse_register_court(d.pop("registerCourt", UNSET))

        def _parse_require_two_factor(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        require_two_factor = _parse_require_two_factor(d.pop("requireTwoFactor", UNSET))

        update_organization_request = cls(
            name=name,
            legal_name=legal_name,
            address=address,
            vat_id=vat_id,
            seller_country=seller_country,
            invoice_prefix=invoice_prefix,
            credit_note_prefix=credit_note_prefix,
            dunning_retry_days=dunning_retry_days,
            email=email,
            phone=phone,
            website=website,
            registration_number=registration_number,
            register_court=register_court,
            require_two_factor=require_two_factor,
        )

        return update_organization_request
