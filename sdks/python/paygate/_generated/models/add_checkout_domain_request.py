from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="AddCheckoutDomainRequest")


@_attrs_define
class AddCheckoutDomainRequest:
    """`POST /api/v1/sites/{id}/domains`.

    Example:
        {'domain': 'pay.shop.example'}

    Attributes:
        domain (None | str | Unset): A host name the merchant controls (Unicode names are stored in their
            `xn--` form).
    """

    domain: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        domain: None | str | Unset
        if isinstance(self.domain, Unset):
            domain = UNSET
        else:
            domain = self.domain

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if domain is not UNSET:
            field_dict["domain"] = domain

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_domain(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        domain = _parse_domain(d.pop("domain", UNSET))

        add_checkout_domain_request = cls(
            domain=domain,
        )

        return add_checkout_domain_request
