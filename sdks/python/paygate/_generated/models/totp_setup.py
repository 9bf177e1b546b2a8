from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="TotpSetup")


@_attrs_define
class TotpSetup:
    """`POST /api/v1/auth/totp/setup`: shown until the set-up is confirmed.

    Attributes:
        secret (str): Base32, for typing into an authenticator app.
        otpauth_url (str):
        qr_code_svg (str): The `otpauthUrl` as a QR code, an SVG document.
    """

    secret: str
    otpauth_url: str
    qr_code_svg: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        secret = self.secret

        otpauth_url = self.otpauth_url

        qr_code_svg = self.qr_code_svg

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "secret": secret,
                "otpauthUrl": otpauth_url,
                "qrCodeSvg": qr_code_svg,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        secret = d.pop("secret")

        otpauth_url = d.pop("otpauthUrl")

        qr_code_svg = d.pop("qrCodeSvg")

        totp_setup = cls(
            secret=secret,
            otpauth_url=otpauth_url,
            qr_code_svg=qr_code_svg,
        )

        totp_setup.additional_properties = d
        return totp_setup

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
