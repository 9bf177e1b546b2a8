from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="LoginRequest")


@_attrs_define
class LoginRequest:
    """`POST /api/v1/auth/login`.

    Example:
        {'email': 'ada@example.com', 'password': 'correct horse battery'}

    Attributes:
        email (str):
        password (str):
        refresh_cookie (bool | Unset): Browsers: put the refresh token in an HttpOnly, Secure,
            SameSite=Strict cookie scoped to `/api/v1/auth` instead of the body.
    """

    email: str
    password: str
    refresh_cookie: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        email = self.email

        password = self.password

        refresh_cookie = self.refresh_cookie

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "email": email,
                "password": password,
            }
        )
        if refresh_cookie is not UNSET:
            field_dict["refreshCookie"] = refresh_cookie

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        email = d.pop("email")

        password = d.pop("password")

        refresh_cookie = d.pop("refreshCookie", UNSET)

        login_request = cls(
            email=email,
            password=password,
            refresh_cookie=refresh_cookie,
        )

        return login_request
