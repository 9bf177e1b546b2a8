from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.customer_input_language import CustomerInputLanguage
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.address_input import AddressInput


T = TypeVar("T", bound="CustomerInput")


@_attrs_define
class CustomerInput:
    """
    Attributes:
        email (None | str | Unset):  Example: a@example.com.
        name (None | str | Unset):
        vat_id (None | str | Unset): Checked against EU VIES: a valid B2B VAT id may reverse-charge.
        address (AddressInput | None | Unset):
        language (CustomerInputLanguage | Unset):
    """

    email: None | str | Unset = UNSET
    name: None | str | Unset = UNSET
    vat_id: None | str | Unset = UNSET
    address: AddressInput | None | Unset = UNSET
    language: CustomerInputLanguage | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.address_input import AddressInput

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        vat_id: None | str | Unset
        if isinstance(self.vat_id, Unset):
            vat_id = UNSET
        else:
            vat_id = self.vat_id

        address: dict[str, Any] | None | Unset
        if isinstance(self.address, Unset):
            address = UNSET
        elif isinstance(self.address, AddressInput):
            address = self.address.to_dict()
        else:
            address = self.address

        language: str | Unset = UNSET
        if not isinstance(self.language, Unset):
            language = self.language.value

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if email is not UNSET:
            field_dict["email"] = email
        if name is not UNSET:
            field_dict["name"] = name
        if vat_id is not UNSET:
            field_dict["vatId"] = vat_id
        if address is not UNSET:
            field_dict["address"] = address
        if language is not UNSET:
            field_dict["language"] = language

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.address_input import AddressInput

        d = dict(src_dict)

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_vat_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        vat_id = _parse_vat_id(d.pop("vatId", UNSET))

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

        _language = d.pop("language", UNSET)
        language: CustomerInputLanguage | Unset
        if isinstance(_language, Unset):
            language = UNSET
        else:
            language = CustomerInputLanguage(_language)

        customer_input = cls(
            email=email,
            name=name,
            vat_id=vat_id,
            address=address,
            language=language,
        )

        return customer_input
