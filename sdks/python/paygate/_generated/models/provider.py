from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.provider_type import ProviderType
from ..types import UNSET, Unset

T = TypeVar("T", bound="Provider")


@_attrs_define
class Provider:
    """A payment provider account the organization charges through. Secrets
    are never returned: only a hint of their last characters.

        Attributes:
            id (str):  Example: prov_3c4d5e6f7a8b9c0d1e2f3a4b.
            object_ (str): Always `provider`. Example: provider.
            type_ (ProviderType):
            name (str):
            livemode (bool):
            webhook_url (str): Register this URL as the webhook endpoint in the provider's
                dashboard. Example: https://api.pay.example/hooks/stripe/prov_3c4d5e6f7a8b9c0d1e2f3a4b.
            has_webhook_secret (bool): Whether a webhook signing secret is set: without one, the provider's
                webhooks are refused.
            credentials_hint (None | str | Unset): The last characters of the secret key or access token. Example: …4242.
            publishable_key (None | str | Unset): Stripe's publishable key, for the checkout page (public by design).
                Example: pk_test_51H….
            webhook_secret_hint (None | str | Unset):  Example: …Xy9z.
            api_base (None | str | Unset): The provider API base this record uses instead of the default.
            created_at (datetime.datetime | None | Unset):
            updated_at (datetime.datetime | None | Unset):
    """

    id: str
    object_: str
    type_: ProviderType
    name: str
    livemode: bool
    webhook_url: str
    has_webhook_secret: bool
    credentials_hint: None | str | Unset = UNSET
    publishable_key: None | str | Unset = UNSET
    webhook_secret_hint: None | str | Unset = UNSET
    api_base: None | str | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    updated_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        type_ = self.type_.value

        name = self.name

        livemode = self.livemode

        webhook_url = self.webhook_url

        has_webhook_secret = self.has_webhook_secret

        credentials_hint: None | str | Unset
        if isinstance(self.credentials_hint, Unset):
            credentials_hint = UNSET
        else:
            credentials_hint = self.credentials_hint

        publishable_key: None | str | Unset
        if isinstance(self.publishable_key, Unset):
            publishable_key = UNSET
        else:
            publishable_key = self.publishable_key

        webhook_secret_hint: None | str | Unset
        if isinstance(self.webhook_secret_hint, Unset):
            webhook_secret_hint = UNSET
        else:
            webhook_secret_hint = self.webhook_secret_hint

        api_base: None | str | Unset
        if isinstance(self.api_base, Unset):
            api_base = UNSET
        else:
            api_base = self.api_base

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

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "type": type_,
                "name": name,
                "livemode": livemode,
                "webhookUrl": webhook_url,
                "hasWebhookSecret": has_webhook_secret,
            }
        )
        if credentials_hint is not UNSET:
            field_dict["credentialsHint"] = credentials_hint
        if publishable_key is not UNSET:
            field_dict["publishableKey"] = publishable_key
        if webhook_secret_hint is not UNSET:
            field_dict["webhookSecretHint"] = webhook_secret_hint
        if api_base is not UNSET:
            field_dict["apiBase"] = api_base
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if updated_at is not UNSET:
            field_dict["updatedAt"] = updated_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        type_ = ProviderType(d.pop("type"))

        name = d.pop("name")

        livemode = d.pop("livemode")

        webhook_url = d.pop("webhookUrl")

        has_webhook_secret = d.pop("hasWebhookSecret")

        def _parse_credentials_hint(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        credentials_hint = _parse_credentials_hint(d.pop("credentialsHint", UNSET))

        def _parse_publishable_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        publishable_key = _parse_publishable_key(d.pop("publishableKey", UNSET))

        def _parse_webhook_secret_hint(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        webhook_secret_hint = _parse_webhook_secret_hint(
            d.pop("webhookSecretHint", UNSET)
        )

        def _parse_api_base(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        api_base = _parse_api_base(d.pop("apiBase", UNSET))

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

        provider = cls(
            id=id,
            object_=object_,
            type_=type_,
            name=name,
            livemode=livemode,
            webhook_url=webhook_url,
            has_webhook_secret=has_webhook_secret,
            credentials_hint=credentials_hint,
            publishable_key=publishable_key,
            webhook_secret_hint=webhook_secret_hint,
            api_base=api_base,
            created_at=created_at,
            updated_at=updated_at,
        )

        provider.additional_properties = d
        return provider

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
