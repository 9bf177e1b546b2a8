from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ProviderCredentials")


@_attrs_define
class ProviderCredentials:
    """The provider's secret credentials: `secretKey` (and optionally
    `publishableKey`) for Stripe, `accessToken` for GoCardless, nothing for
    the sandbox. Their prefix must match the key's mode (`sk_test_`,
    `sandbox_` with a test key).

        Attributes:
            secret_key (None | str | Unset):  Example: sk_test_51H….
            publishable_key (None | str | Unset):  Example: pk_test_51H….
            access_token (None | str | Unset):  Example: sandbox_….
    """

    secret_key: None | str | Unset = UNSET
    publishable_key: None | str | Unset = UNSET
    access_token: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        secret_key: None | str | Unset
        if isinstance(self.secret_key, Unset):
            secret_key = UNSET
        else:
            secret_key = self.secret_key

        publishable_key: None | str | Unset
        if isinstance(self.publishable_key, Unset):
            publishable_key = UNSET
        else:
            publishable_key = self.publishable_key

        access_token: None | str | Unset
        if isinstance(self.access_token, Unset):
            access_token = UNSET
        else:
            access_token = self.access_token

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if secret_key is not UNSET:
            field_dict["secretKey"] = secret_key
        if publishable_key is not UNSET:
            field_dict["publishableKey"] = publishable_key
        if access_token is not UNSET:
            field_dict["accessToken"] = access_token

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_secret_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        secret_key = _parse_secret_key(d.pop("secretKey", UNSET))

        def _parse_publishable_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        publishable_key = _parse_publishable_key(d.pop("publishableKey", UNSET))

        def _parse_access_token(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        access_token = _parse_access_token(d.pop("accessToken", UNSET))

        provider_credentials = cls(
            secret_key=secret_key,
            publishable_key=publishable_key,
            access_token=access_token,
        )

        return provider_credentials
