from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.cancellation_details_reason_type_1 import CancellationDetailsReasonType1
from ..models.cancellation_details_reason_type_2_type_1 import (
    CancellationDetailsReasonType2Type1,
)
from ..models.cancellation_details_reason_type_3_type_1 import (
    CancellationDetailsReasonType3Type1,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="CancellationDetails")


@_attrs_define
class CancellationDetails:
    """Why a subscription was canceled.

    Attributes:
        requested_by (str): `merchant` (Admin API) or `customer` (portal). Example: customer.
        reason (CancellationDetailsReasonType1 | CancellationDetailsReasonType2Type1 |
            CancellationDetailsReasonType3Type1 | None | Unset):
        comment (None | str | Unset):
        requested_at (datetime.datetime | None | Unset):
    """

    requested_by: str
    reason: (
        CancellationDetailsReasonType1
        | CancellationDetailsReasonType2Type1
        | CancellationDetailsReasonType3Type1
        | None
        | Unset
    ) = UNSET
    comment: None | str | Unset = UNSET
    requested_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        requested_by = self.requested_by

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        elif (
            isinstance(self.reason, CancellationDetailsReasonType1)
            or isinstance(self.reason, CancellationDetailsReasonType2Type1)
            or isinstance(self.reason, CancellationDetailsReasonType3Type1)
        ):
            reason = self.reason.value
        else:
            reason = self.reason

        comment: None | str | Unset
        if isinstance(self.comment, Unset):
            comment = UNSET
        else:
            comment = self.comment

        requested_at: None | str | Unset
        if isinstance(self.requested_at, Unset):
            requested_at = UNSET
        elif isinstance(self.requested_at, datetime.datetime):
            requested_at = self.requested_at.isoformat()
        else:
            requested_at = self.requested_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "requestedBy": requested_by,
            }
        )
        if reason is not UNSET:
            field_dict["reason"] = reason
        if comment is not UNSET:
            field_dict["comment"] = comment
        if requested_at is not UNSET:
            field_dict["requestedAt"] = requested_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        requested_by = d.pop("requestedBy")

        def _parse_reason(
            data: object,
        ) -> (
            CancellationDetailsReasonType1
            | CancellationDetailsReasonType2Type1
            | CancellationDetailsReasonType3Type1
            | None
            | Unset
        ):
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reason_type_1 = CancellationDetailsReasonType1(data)

                return reason_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reason_type_2_type_1 = CancellationDetailsReasonType2Type1(data)

                return reason_type_2_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reason_type_3_type_1 = CancellationDetailsReasonType3Type1(data)

                return reason_type_3_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                CancellationDetailsReasonType1
                | CancellationDetailsReasonType2Type1
                | CancellationDetailsReasonType3Type1
                | None
                | Unset,
                data,
            )

        reason = _parse_reason(d.pop("reason", UNSET))

        def _parse_comment(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        comment = _parse_comment(d.pop("comment", UNSET))

        def _parse_requested_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                requested_at_type_0 = datetime.datetime.fromisoformat(data)

                return requested_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        requested_at = _parse_requested_at(d.pop("requestedAt", UNSET))

        cancellation_details = cls(
            requested_by=requested_by,
            reason=reason,
            comment=comment,
            requested_at=requested_at,
        )

        cancellation_details.additional_properties = d
        return cancellation_details

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
