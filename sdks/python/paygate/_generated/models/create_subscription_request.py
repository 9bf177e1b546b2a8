from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateSubscriptionRequest")


@_attrs_define
class CreateSubscriptionRequest:
    """`POST /api/v1/subscriptions`: a subscription charged with a saved
    payment method.

        Example:
            {'customerId': 'cus_4d5e6f7a8b9c0d1e2f3a4b5c', 'planId': 'plan_5e6f7a8b9c0d1e2f3a4b5c6d', 'siteId':
                'site_1a2b3c4d5e6f7a8b9c0d1e2f', 'paymentMethod': 'tok_visa'}

        Attributes:
            customer_id (None | str | Unset):
            plan_id (None | str | Unset):
            site_id (None | str | Unset):
            payment_method (None | str | Unset): A saved method the site's provider charges again: a sandbox token,
                a Stripe PaymentMethod (`pm_…`) or a GoCardless mandate (`MD…`).
            trial_days (int | None | Unset): 0–730; default: the plan's trial.
            ipn_url (None | str | Unset): Where its IPNs go; default: the site's `ipnUrl`.
            test_clock_id (None | str | Unset): Test mode: the clock it lives on (default: its customer's).
    """

    customer_id: None | str | Unset = UNSET
    plan_id: None | str | Unset = UNSET
    site_id: None | str | Unset = UNSET
    payment_method: None | str | Unset = UNSET
    trial_days: int | None | Unset = UNSET
    ipn_url: None | str | Unset = UNSET
    test_clock_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        customer_id: None | str | Unset
        if isinstance(self.customer_id, Unset):
            customer_id = UNSET
        else:
            customer_id = self.customer_id

        plan_id: None | str | Unset
        if isinstance(self.plan_id, Unset):
            plan_id = UNSET
        else:
            plan_id = self.plan_id

        site_id: None | str | Unset
        if isinstance(self.site_id, Unset):
            site_id = UNSET
        else:
            site_id = self.site_id

        payment_method: None | str | Unset
        if isinstance(self.payment_method, Unset):
            payment_method = UNSET
        else:
            payment_method = self.payment_method

        trial_days: int | None | Unset
        if isinstance(self.trial_days, Unset):
            trial_days = UNSET
        else:
            trial_days = self.trial_days

        ipn_url: None | str | Unset
        if isinstance(self.ipn_url, Unset):
            ipn_url = UNSET
        else:
            ipn_url = self.ipn_url

        test_clock_id: None | str | Unset
        if isinstance(self.test_clock_id, Unset):
            test_clock_id = UNSET
        else:
            test_clock_id = self.test_clock_id

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if customer_id is not UNSET:
            field_dict["customerId"] = customer_id
        if plan_id is not UNSET:
            field_dict["planId"] = plan_id
        if site_id is not UNSET:
            field_dict["siteId"] = site_id
        if payment_method is not UNSET:
            field_dict["paymentMethod"] = payment_method
        if trial_days is not UNSET:
            field_dict["trialDays"] = trial_days
        if ipn_url is not UNSET:
            field_dict["ipnUrl"] = ipn_url
        if test_clock_id is not UNSET:
            field_dict["testClockId"] = test_clock_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_customer_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        customer_id = _parse_customer_id(d.pop("customerId", UNSET))

        def _parse_plan_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        plan_id = _parse_plan_id(d.pop("planId", UNSET))

        def _parse_site_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        site_id = _parse_site_id(d.pop("siteId", UNSET))

        def _parse_payment_method(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        payment_method = _parse_payment_method(d.pop("paymentMethod", UNSET))

        def _parse_trial_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        trial_days = _parse_trial_days(d.pop("trialDays", UNSET))

        def _parse_ipn_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ipn_url = _parse_ipn_url(d.pop("ipnUrl", UNSET))

        def _parse_test_clock_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        test_clock_id = _parse_test_clock_id(d.pop("testClockId", UNSET))

        create_subscription_request = cls(
            customer_id=customer_id,
            plan_id=plan_id,
            site_id=site_id,
            payment_method=payment_method,
            trial_days=trial_days,
            ipn_url=ipn_url,
            test_clock_id=test_clock_id,
        )

        return create_subscription_request
