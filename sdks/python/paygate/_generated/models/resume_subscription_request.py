from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ResumeSubscriptionRequest")


@_attrs_define
class ResumeSubscriptionRequest:
    """`POST /api/v1/subscriptions/{id}/resume`: no fields (an empty body or
    `{}`).

        Example:
            {}

    """

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        resume_subscription_request = cls()

        return resume_subscription_request
