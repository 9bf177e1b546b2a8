from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.me_organization import MeOrganization
    from ..models.user import User


T = TypeVar("T", bound="Me")


@_attrs_define
class Me:
    """`GET /api/v1/auth/me`.

    Attributes:
        user (User):
        organization (MeOrganization):
        permissions (list[str]): What this user may do: the API key scopes their role holds.
        two_factor_enrollment_required (bool): The organization requires two-factor sign-in and this user has not
            set it up: only the account routes answer until they do.
        livemode (bool): The mode this request ran in (`Paygate-Mode`).
    """

    user: User
    organization: MeOrganization
    permissions: list[str]
    two_factor_enrollment_required: bool
    livemode: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        user = self.user.to_dict()

        organization = self.organization.to_dict()

        permissions = self.permissions

        two_factor_enrollment_required = self.two_factor_enrollment_required

        livemode = self.livemode

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "user": user,
                "organization": organization,
                "permissions": permissions,
                "twoFactorEnrollmentRequired": two_factor_enrollment_required,
                "livemode": livemode,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.me_organization import MeOrganization
        from ..models.user import User

        d = dict(src_dict)
        user = User.from_dict(d.pop("user"))

        organization = MeOrganization.from_dict(d.pop("organization"))

        permissions = cast(list[str], d.pop("permissions"))

        two_factor_enrollment_required = d.pop("twoFactorEnrollmentRequired")

        livemode = d.pop("livemode")

        me = cls(
            user=user,
            organization=organization,
            permissions=permissions,
            two_factor_enrollment_required=two_factor_enrollment_required,
            livemode=livemode,
        )

        me.additional_properties = d
        return me

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
