from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.provider_credentials import ProviderCredentials


T = TypeVar("T", bound="UpdateProviderRequest")


@_attrs_define
class UpdateProviderRequest:
    """`PATCH /api/v1/providers/{id}`: absent fields stay as they are.

    Example:
        {'webhookSecret': 'whsec_…'}

    Attributes:
        name (None | str | Unset):
        credentials (None | ProviderCredentials | Unset):
        webhook_secret (None | str | Unset):
        api_base (None | str | Unset): `""` returns to the default base.
    """

    name: None | str | Unset = UNSET
    credentials: None | ProviderCredentials | Unset = UNSET
    webhook_secret: None | str | Unset = UNSET
    api_base: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.provider_credentials import ProviderCredentials

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

        update_provider_request = cls(
            name=name,
            credentials=credentials,
            webhook_secret=webhook_secret,
            api_base=api_base,
        )

        return update_provider_request
