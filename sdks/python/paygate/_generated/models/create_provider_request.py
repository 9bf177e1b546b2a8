from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.create_provider_request_type import CreateProviderRequestType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.provider_credentials import ProviderCredentials


T = TypeVar("T", bound="CreateProviderRequest")


@_attrs_define
class CreateProviderRequest:
    """`POST /api/v1/providers`.

    Example:
        {'type': 'stripe', 'name': 'Stripe (test)', 'credentials': {'secretKey': 'sk_test_…', 'publishableKey':
            'pk_test_…'}, 'webhookSecret': 'whsec_…'}

    Attributes:
        type_ (CreateProviderRequestType | Unset):
        name (None | str | Unset):
        credentials (None | ProviderCredentials | Unset):
        webhook_secret (None | str | Unset): The endpoint's signing secret from the provider's dashboard (Stripe:
            `whsec_…`). It can be set later, once the endpoint exists.
        api_base (None | str | Unset): Another API base (e.g. a regional endpoint); https only.
    """

    type_: CreateProviderRequestType | Unset = UNSET
    name: None | str | Unset = UNSET
    credentials: None | ProviderCredentials | Unset = UNSET
    webhook_secret: None | str | Unset = UNSET
    api_base: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.provider_credentials import ProviderCredentials

        type_: str | Unset = UNSET
        if not isinstance(self.type_, Unset):
            type_ = self.type_.value

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        credentials: dict[str, Any] | None | Unset
        if isinstance(self.credentials, Unset):
            credentials = UNSET
        elif isinstance(self.credentials, ProviderCredentials):
            credentials = self.credentials.to_dict()
        else:
            credentials = self.credentials

        webhook_secret: None | str | Unset
        if isinstance(self.webhook_secret, Unset):
            webhook_secret = UNSET
        else:
            webhook_secret = self.webhook_secret

        api_base: None | str | Unset
        if isinstance(self.api_base, Unset):
            api_base = UNSET
        else:
            api_base = self.api_base

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if type_ is not UNSET:
            field_dict["type"] = type_
        if name is not UNSET:
            field_dict["name"] = name
        if credentials is not UNSET:
            field_dict["credentials"] = credentials
        if webhook_secret is not UNSET:
            field_dict["webhookSecret"] = webhook_secret
        if api_base is not UNSET:
            field_dict["apiBase"] = api_base

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.provider_credentials import ProviderCredentials

        d = dict(src_dict)
        _type_ = d.pop("type", UNSET)
        type_: CreateProviderRequestType | Unset
        if isinstance(_type_, Unset):
            type_ = UNSET
        else:
            type_ = CreateProviderRequestType(_type_)

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_credentials(data: object) -> None | ProviderCredentials | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                credentials_type_1 = ProviderCredentials.from_dict(data)

                return credentials_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ProviderCredentials | Unset, data)

        credentials = _parse_credentials(d.pop("credentials", UNSET))

        def _parse_webhook_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        webhook_secret = _parse_webhook_secret(d.pop("webhookSecret", UNSET))

        def _parse_api_base(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        api_base = _parse_api_base(d.pop("apiBase", UNSET))

        create_provider_request = cls(
            type_=type_,
            name=name,
            credentials=credentials,
            webhook_secret=webhook_secret,
            api_base=api_base,
        )

        return create_provider_request
