from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.customer_record_language import CustomerRecordLanguage
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.address import Address
    from ..models.customer_record_metadata import CustomerRecordMetadata


T = TypeVar("T", bound="CustomerRecord")


@_attrs_define
class CustomerRecord:
    """A customer the merchant bills again and again (`cus_…`). Not the
    `customer` details a checkout carries inline.

        Attributes:
            id (str):  Example: cus_4d5e6f7a8b9c0d1e2f3a4b5c.
            object_ (str): Always `customer`. Example: customer.
            language (CustomerRecordLanguage):
            metadata (CustomerRecordMetadata):
            livemode (bool):
            email (None | str | Unset):  Example: ada@example.com.
            name (None | str | Unset):
            address (Address | None | Unset):
            vat_id (None | str | Unset):  Example: DE123456789.
            created_at (datetime.datetime | None | Unset):
            updated_at (datetime.datetime | None | Unset):
            test_clock_id (None | str | Unset): Test mode: the clock it lives on.
    """

    id: str
    object_: str
    language: CustomerRecordLanguage
    metadata: CustomerRecordMetadata
    livemode: bool
    email: None | str | Unset = UNSET
    name: None | str | Unset = UNSET
    address: Address | None | Unset = UNSET
    vat_id: None | str | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    updated_at: datetime.datetime | None | Unset = UNSET
    test_clock_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.address import Address

        id = self.id

        object_ = self.object_

        language = self.language.value

        metadata = self.metadata.to_dict()

        livemode = self.livemode

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
        elif isinstance(self.address, Address):
            address = self.address.to_dict()
        else:
            address = self.address

        vat_id: None | str | Unset
        if isinstance(self.vat_id, Unset):
            vat_id = UNSET
        else:
            vat_id = self.vat_id

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

        test_clock_id: None | str | Unset
        if isinstance(self.test_clock_id, Unset):
            test_clock_id = UNSET
        else:
            test_clock_id = self.test_clock_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "language": language,
                "metadata": metadata,
                "livemode": livemode,
            }
        )
        if email is not UNSET:
            field_dict["email"] = email
        if name is not UNSET:
            field_dict["name"] = name
        if address is not UNSET:
            field_dict["address"] = address
        if vat_id is not UNSET:
            field_dict["vatId"] = vat_id
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if updated_at is not UNSET:
            field_dict["updatedAt"] = updated_at
        if test_clock_id is not UNSET:
            field_dict["testClockId"] = test_clock_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.address import Address
        from ..models.customer_record_metadata import CustomerRecordMetadata

        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        language = CustomerRecordLanguage(d.pop("language"))

        metadata = CustomerRecordMetadata.from_dict(d.pop("metadata"))

        livemode = d.pop("livemode")

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

        def _parse_test_clock_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        test_clock_id = _parse_test_clock_id(d.pop("testClockId", UNSET))

        customer_record = cls(
            id=id,
            object_=object_,
            language=language,
            metadata=metadata,
            livemode=livemode,
            email=email,
            name=name,
            address=address,
            vat_id=vat_id,
            created_at=created_at,
            updated_at=updated_at,
            test_clock_id=test_clock_id,
        )

        customer_record.additional_properties = d
        return customer_record

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
