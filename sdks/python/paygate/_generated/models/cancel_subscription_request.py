from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.cancel_subscription_request_reason import CancelSubscriptionRequestReason
from ..types import UNSET, Unset

T = TypeVar("T", bound="CancelSubscriptionRequest")


@_attrs_define
class CancelSubscriptionRequest:
    """`POST /api/v1/subscriptions/{id}/cancel`.

    Example:
        {'atPeriodEnd': True, 'reason': 'too_expensive', 'comment': 'Budget cuts'}

    Attributes:
        at_period_end (bool | None | Unset): Default true: ends at `currentPeriodEnd`; false ends it now.
        reason (CancelSubscriptionRequestReason | Unset):
        comment (None | str | Unset): Up to 1000 characters.
    """

    at_period_end: bool | None | Unset = UNSET
    reason: CancelSubscriptionRequestReason | Unset = UNSET
    comment: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        at_period_end: bool | None | Unset
        if isinstance(self.at_period_end, Unset):
            at_period_end = UNSET
        else:
            at_period_end = self.at_period_end

        reason: str | Unset = UNSET
        if not isinstance(self.reason, Unset):
            reason = self.reason.value

        comment: None | str | Unset
        if isinstance(self.comment, Unset):
            comment = UNSET
        else:
            comment = self.comment

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if at_period_end is not UNSET:
            field_dict["atPeriodEnd"] = at_period_end
        if reason is not UNSET:
            field_dict["reason"] = reason
        if comment is not UNSET:
            field_dict["comment"] = comment

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_at_period_end(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        at_period_end = _parse_at_period_end(d.pop("atPeriodEnd", UNSET))

        _reason = d.pop("reason", UNSET)
        reason: CancelSubscriptionRequestReason | Unset
        if isinstance(_reason, Unset):
            reason = UNSET
        else:
            reason = CancelSubscriptionRequestReason(_reason)

        def _parse_comment(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        comment = _parse_comment(d.pop("comment", UNSET))

        cancel_subscription_request = cls(
            at_period_end=at_period_end,
            reason=reason,
            comment=comment,
        )

        return cancel_subscription_request
