from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.key_mode import KeyMode
from ..types import UNSET, Unset

T = TypeVar("T", bound="ApiKeyWithSecret")


@_attrs_define
class ApiKeyWithSecret:
    """A new key with its secret, shown once. A replayed creation has no
    secret to show (`null`).

        Attributes:
            id (str):  Example: key_7e6d5c4b3a2f1e0d9c8b7a6f.
            object_ (str): Always `api_key`. Example: api_key.
            livemode (bool): `true` for a live object, `false` for a test one: the mode of the
                API key that created it (or of its parent).
            organization_id (str):
            name (str):
            mode (KeyMode): `test` keys (`sk_test_…`) or `live` keys (`sk_live_…`).
            scopes (list[str]):
            redacted (str): Recognisable but useless: the prefix and the last four characters. Example: sk_test_…9f3a.
            created_at (datetime.datetime | None | Unset):
            revoked_at (datetime.datetime | None | Unset):
            secret (None | str | Unset):
    """

    id: str
    object_: str
    livemode: bool
    organization_id: str
    name: str
    mode: KeyMode
    scopes: list[str]
    redacted: str
    created_at: datetime.datetime | None | Unset = UNSET
    revoked_at: datetime.datetime | None | Unset = UNSET
    secret: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        livemode = self.livemode

        organization_id = self.organization_id

        name = self.name

        mode = self.mode.value

        scopes = self.scopes

        redacted = self.redacted

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        elif isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        revoked_at: None | str | Unset
        if isinstance(self.revoked_at, Unset):
            revoked_at = UNSET
        elif isinstance(self.revoked_at, datetime.datetime):
            revoked_at = self.revoked_at.isoformat()
        else:
            revoked_at = self.revoked_at

        secret: None | str | Unset
        if isinstance(self.secret, Unset):
            secret = UNSET
        else:
            secret = self.secret

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "livemode": livemode,
                "organizationId": organization_id,
                "name": name,
                "mode": mode,
                "scopes": scopes,
                "redacted": redacted,
            }
        )
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if revoked_at is not UNSET:
            field_dict["revokedAt"] = revoked_at
        if secret is not UNSET:
            field_dict["secret"] = secret

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        livemode = d.pop("livemode")

        organization_id = d.pop("organizationId")

        name = d.pop("name")

        mode = KeyMode(d.pop("mode"))

        scopes = cast(list[str], d.pop("scopes"))

        redacted = d.pop("redacted")

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

        def _parse_revoked_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                revoked_at_type_0 = datetime.datetime.fromisoformat(data)

                return revoked_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        revoked_at = _parse_revoked_at(d.pop("revokedAt", UNSET))

        def _parse_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        secret = _parse_secret(d.pop("secret", UNSET))

        api_key_with_secret = cls(
            id=id,
            object_=object_,
            livemode=livemode,
            organization_id=organization_id,
            name=name,
            mode=mode,
            scopes=scopes,
            redacted=redacted,
            created_at=created_at,
            revoked_at=revoked_at,
            secret=secret,
        )

        api_key_with_secret.additional_properties = d
        return api_key_with_secret

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
