from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.address import Address


T = TypeVar("T", bound="Organization")


@_attrs_define
class Organization:
    """
    Attributes:
        id (str):  Example: org_1a2b3c4d5e6f7a8b9c0d1e2f.
        object_ (str): Always `organization`. Example: organization.
        name (str):
        invoice_prefix (str):  Example: INV.
        credit_note_prefix (str):  Example: CN.
        dunning_retry_days (list[int]): Days after a failed renewal on which it is retried, then the
            subscription becomes `unpaid`. Example: [1, 3, 5, 7].
        require_two_factor (bool): Every user must sign in with a second factor.
        legal_name (None | str | Unset):
        address (Address | None | Unset):
        vat_id (None | str | Unset):
        seller_country (None | str | Unset):
        email (None | str | Unset): Contact details printed with the seller on invoices. Example: billing@shop.example.
        phone (None | str | Unset):  Example: +49 30 1234567.
        website (None | str | Unset):  Example: shop.example.
        registration_number (None | str | Unset): The company's register entry, printed on invoices. Example: HRB
            123456.
        register_court (None | str | Unset):  Example: Amtsgericht Berlin-Charlottenburg.
        created_at (datetime.datetime | None | Unset):
    """

    id: str
    object_: str
    name: str
    invoice_prefix: str
    credit_note_prefix: str
    dunning_retry_days: list[int]
    require_two_factor: bool
    legal_name: None | str | Unset = UNSET
    address: Address | None | Unset = UNSET
    vat_id: None | str | Unset = UNSET
    seller_country: None | str | Unset = UNSET
    email: None | str | Unset = UNSET
    phone: None | str | Unset = UNSET
    website: None | str | Unset = UNSET
    registration_number: None | str | Unset = UNSET
    register_court: None | str | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.address import Address

        id = self.id

        object_ = self.object_

        name = self.name

        invoice_prefix = self.invoice_prefix

        credit_note_prefix = self.credit_note_prefix

        dunning_retry_days = self.dunning_retry_days

        require_two_factor = self.require_two_factor

        legal_name: None | str | Unset
        if isinstance(self.legal_name, Unset):
            legal_name = UNSET
        else:
            legal_name = self.legal_name

        address: dict[str, Any] | None | Unset
        if isinstance(self.address, Unset):
            address = UNSET
        elif isinstance(self.address, Address):
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
                "name": name,
                "invoicePrefix": invoice_prefix,
                "creditNotePrefix": credit_note_prefix,
                "dunningRetryDays": dunning_retry_days,
                "requireTwoFactor": require_two_factor,
            }
        )
        if legal_name is not UNSET:
            field_dict["legalName"] = legal_name
        if address is not UNSET:
            field_dict["address"] = address
        if vat_id is not UNSET:
            field_dict["vatId"] = vat_id
        if seller_country is not UNSET:
            field_dict["sellerCountry"] = seller_country
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
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.address import Address

        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        name = d.pop("name")

        invoice_prefix = d.pop("invoicePrefix")

        credit_note_prefix = d.pop("creditNotePrefix")

        dunning_retry_days = cast(list[int], d.pop("dunningRetryDays"))

        require_two_factor = d.pop("requireTwoFactor")

        def _parse_legal_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        legal_name = _parse_legal_name(d.pop("legalName", UNSET))

        def _parse_address(data: object) -> Address | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                address_type_1 = Address.from_dict(data)

                return address_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Address | None | Unset, data)

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

        organization = cls(
            id=id,
            object_=object_,
            name=name,
            invoice_prefix=invoice_prefix,
            credit_note_prefix=credit_note_prefix,
            dunning_retry_days=dunning_retry_days,
            require_two_factor=require_two_factor,
            legal_name=legal_name,
            address=address,
            vat_id=vat_id,
            seller_country=seller_country,
            email=email,
            phone=phone,
            website=website,
            registration_number=registration_number,
            register_court=register_court,
            created_at=created_at,
        )

        organization.additional_properties = d
        return organization

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
