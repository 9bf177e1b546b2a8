from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.customer_request_language import CustomerRequestLanguage
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.address_input import AddressInput
    from ..models.customer_request_metadata_type_0 import CustomerRequestMetadataType0


T = TypeVar("T", bound="CustomerRequest")


@_attrs_define
class CustomerRequest:
    """`POST /api/v1/customers`, and `PATCH /api/v1/customers/{id}` (absent
    fields stay as they are; `metadata` replaces the whole map).

        Example:
            {'email': 'ada@example.com', 'name': 'Ada Lovelace', 'address': {'country': 'DE', 'city': 'Berlin'}, 'metadata':
                {'crmId': '42'}}

        Attributes:
            email (None | str | Unset):
            name (None | str | Unset):
            address (AddressInput | None | Unset):
            vat_id (None | str | Unset): Printed on invoices; checked when a payment is taxed.
            language (CustomerRequestLanguage | Unset):
            metadata (CustomerRequestMetadataType0 | None | Unset): Up to 50 keys of 1–40 characters, values up to 500
                characters.
            test_clock_id (None | str | Unset): On create, test mode: the test clock (`clock_…`) the customer and
                its subscriptions live on.
    """

    email: None | str | Unset = UNSET
    name: None | str | Unset = UNSET
    address: AddressInput | None | Unset = UNSET
    vat_id: None | str | Unset = UNSET
    language: CustomerRequestLanguage | Unset = UNSET
    metadata: CustomerRequestMetadataType0 | None | Unset = UNSET
    test_clock_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.address_input import AddressInput
        from ..models.customer_request_metadata_type_0 import (
            CustomerRequestMetadataType0,
        )

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

        language: str | Unset = UNSET
        if not isinstance(self.language, Unset):
            language = self.language.value

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, CustomerRequestMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        test_clock_id: None | str | Unset
        if isinstance(self.test_clock_id, Unset):
            test_clock_id = UNSET
        else:
            test_clock_id = self.test_clock_id

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if email is not UNSET:
            field_dict["email"] = email
        if name is not UNSET:
            field_dict["name"] = name
        if address is not UNSET:
            field_dict["address"] = address
        if vat_id is not UNSET:
            field_dict["vatId"] = vat_id
        if language is not UNSET:
            field_dict["language"] = language
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if test_clock_id is not UNSET:
            field_dict["testClockId"] = test_clock_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.address_input import AddressInput
        from ..models.customer_request_metadata_type_0 import (
            CustomerRequestMetadataType0,
        )

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

        _language = d.pop("language", UNSET)
        language: CustomerRequestLanguage | Unset
        if isinstance(_language, Unset):
            language = UNSET
        else:
            language = CustomerRequestLanguage(_language)

        def _parse_metadata(
            data: object,
        ) -> CustomerRequestMetadataType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = CustomerRequestMetadataType0.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CustomerRequestMetadataType0 | None | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        def _parse_test_clock_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        test_clock_id = _parse_test_clock_id(d.pop("testClockId", UNSET))

        customer_request = cls(
            email=email,
            name=name,
            address=address,
            vat_id=vat_id,
            language=language,
            metadata=metadata,
            test_clock_id=test_clock_id,
        )

        return customer_request
