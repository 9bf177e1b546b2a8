from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreatePortalSessionRequest")


@_attrs_define
class CreatePortalSessionRequest:
    """`POST /api/v1/portal/sessions`.

    Example:
        {'customerId': 'cus_4d5e6f7a8b9c0d1e2f3a4b5c', 'returnUrl': 'https://merchant.example/account'}

    Attributes:
        customer_id (None | str | Unset): The customer (`cus_…`, of the key's organization and mode) whose
            portal this is. Required.
        return_url (None | str | Unset): Where the portal's "Return to …" link goes: https (http too when the
            gateway runs with `PAYGATE_IPN_ALLOW_PRIVATE=1`, for development).
            Absent: no such link.
    """

    customer_id: None | str | Unset = UNSET
    return_url: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        customer_id: None | str | Unset
        if isinstance(self.customer_id, Unset):
            customer_id = UNSET
        else:
            customer_id = self.customer_id

        return_url: None | str | Unset
        if isinstance(self.return_url, Unset):
            return_url = UNSET
        else:
            return_url = self.return_url

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if customer_id is not UNSET:
            field_dict["customerId"] = customer_id
        if return_url is not UNSET:
            field_dict["returnUrl"] = return_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_customer_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        customer_id = _parse_customer_id(d.pop("customerId", UNSET))

        def _parse_return_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        return_url = _parse_return_url(d.pop("returnUrl", UNSET))

        create_portal_session_request = cls(
            customer_id=customer_id,
            return_url=return_url,
        )

        return create_portal_session_request
