from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="MfaRequest")


@_attrs_define
class MfaRequest:
    """`POST /api/v1/auth/mfa`.

    Example:
        {'mfaToken': 'eyJhbGciOiJIUzI1NiJ9.e30.signature', 'code': '287082'}

    Attributes:
        mfa_token (str): From the login answer; valid for 5 minutes.
        code (str): The authenticator's 6-digit code, or an unused recovery code.
        refresh_cookie (bool | Unset):
    """

    mfa_token: str
    code: str
    refresh_cookie: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        mfa_token = self.mfa_token

        code = self.code

        refresh_cookie = self.refresh_cookie

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "mfaToken": mfa_token,
                "code": code,
            }
        )
        if refresh_cookie is not UNSET:
            field_dict["refreshCookie"] = refresh_cookie

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        mfa_token = d.pop("mfaToken")

        code = d.pop("code")

        refresh_cookie = d.pop("refreshCookie", UNSET)

        mfa_request = cls(
            mfa_token=mfa_token,
            code=code,
            refresh_cookie=refresh_cookie,
        )

        return mfa_request
